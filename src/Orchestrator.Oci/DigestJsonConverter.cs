using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orchestrator.Oci;

/// <summary>Reads and writes <see cref="Digest"/> as its <c>algorithm:hex</c> string form.</summary>
public sealed class DigestJsonConverter : JsonConverter<Digest>
{
    public override Digest Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        return Digest.TryParse(text, out var digest)
            ? digest
            : throw new JsonException($"'{text}' is not a sha256 digest");
    }

    public override void Write(Utf8JsonWriter writer, Digest value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString());
}
