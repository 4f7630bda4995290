using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orchestrator.Dockerfiles;

/// <summary>
/// Writes values so that the parser reads them back unchanged. Model values are already expanded, so in the
/// instructions Docker expands, quotes, dollars and the escape character are escaped; RUN/CMD/ENTRYPOINT text
/// is written as is, since the shell (not Docker) interprets it.
/// </summary>
internal static class DockerfileQuoting
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>True when the value can be written bare as one word of an expanded instruction.</summary>
    public static bool IsPlain(string value) =>
        value.Length > 0 && value[0] != '[' && !value.StartsWith("--", StringComparison.Ordinal) && !value.StartsWith("<<", StringComparison.Ordinal)
        && value.All(c => !char.IsWhiteSpace(c) && c is not ('\\' or '$' or '"' or '\'' or '`'));

    /// <summary>One word of an expanded instruction: bare when possible, else in double quotes with <c>\ " $</c> escaped.</summary>
    public static string Word(string value) => IsPlain(value) ? value : DoubleQuoted(value);

    public static string DoubleQuoted(string value)
    {
        var text = new StringBuilder("\"");
        foreach (var c in value)
        {
            if (c is '\\' or '"' or '$') text.Append('\\');
            text.Append(c);
        }
        return text.Append('"').ToString();
    }

    /// <summary>Escapes a value that the parser will expand without quotes around it (an element of a JSON-form COPY, ADD or VOLUME).</summary>
    public static string EscapeForExpansion(string value)
    {
        var text = new StringBuilder();
        foreach (var c in value)
        {
            if (c is '\\' or '"' or '$' or '\'') text.Append('\\');
            text.Append(c);
        }
        return text.ToString();
    }

    /// <summary>A JSON array of strings, spaced as people write them: <c>["node", "server.js"]</c>.</summary>
    public static string JsonArray(IEnumerable<string> items) => "[" + string.Join(", ", items.Select(i => JsonValue.Create(i).ToJsonString(Json))) + "]";

    public static bool HasLineBreak(string value) => value.Contains('\n') || value.Contains('\r');
}
