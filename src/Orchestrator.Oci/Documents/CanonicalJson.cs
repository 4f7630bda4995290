using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Orchestrator.Oci.Documents;

/// <summary>
/// The JSON we write: object keys in ordinal order at every depth, no insignificant white space,
/// minimal escaping. The same document always gives the same bytes, hence the same digest.
/// </summary>
public static class CanonicalJson
{
    /// <summary>
    /// Options for reading documents; tolerant of unknown fields, case-sensitive like the spec. Only the document
    /// types of <see cref="OciJsonContext"/> (compile-time generated, no reflection: the executor is compiled ahead to native code).
    /// </summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = false,
        TypeInfoResolver = OciJsonContext.Default,
    };

    public static byte[] Serialize<T>(T value)
    {
        var node = JsonSerializer.SerializeToNode(value, TypeInfo<T>());
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = Options.Encoder, Indented = false }))
        {
            WriteSorted(writer, node);
        }
        return buffer.ToArray();
    }

    /// <summary>Reads a document, turning a syntax error into a message that names <paramref name="what"/>.</summary>
    public static T Deserialize<T>(ReadOnlySpan<byte> json, string what)
    {
        try
        {
            return JsonSerializer.Deserialize(json, TypeInfo<T>())
                ?? throw new OrchestratorException($"{what} is empty (JSON null)");
        }
        catch (JsonException e)
        {
            throw new OrchestratorException($"{what} is not valid JSON for {typeof(T).Name}: {e.Message}", e);
        }
    }

    private static JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));

    private static void WriteSorted(Utf8JsonWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonObject obj:
                writer.WriteStartObject();
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(key);
                    WriteSorted(writer, value);
                }
                writer.WriteEndObject();
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var item in array) WriteSorted(writer, item);
                writer.WriteEndArray();
                break;
            default:
                node.WriteTo(writer);
                break;
        }
    }
}
