using System.Text;
using System.Text.Json;

namespace Orchestrator.Dockerfiles;

/// <summary>The ways Docker splits the text after a keyword into words.</summary>
internal static class DockerfileWords
{
    /// <summary>Splits on whitespace, keeping quoted parts and escaped characters inside one word (quotes and escapes are kept for the expander).</summary>
    public static List<string> SplitQuoted(string text, char escape)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        char quote = '\0';
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (quote == '\0' && char.IsWhiteSpace(ch))
            {
                if (inWord) words.Add(word.ToString());
                word.Clear();
                inWord = false;
                continue;
            }
            inWord = true;
            word.Append(ch);
            if (ch == escape && i + 1 < text.Length && quote != '\'')
            {
                word.Append(text[++i]);
            }
            else if (quote == '\0' && ch is '"' or '\'')
            {
                quote = ch;
            }
            else if (ch == quote)
            {
                quote = '\0';
            }
        }
        if (inWord) words.Add(word.ToString());
        return words;
    }

    public static string[] SplitWhitespace(string text) =>
        text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// The exec form, read as BuildKit's <c>parseJSON</c> (frontend/dockerfile/parser/line_parsers.go) reads it:
    /// the text after leading whitespace must start with '[', and Go's <c>json.Decoder.Decode</c> reads the first
    /// JSON value only, so text after the closing bracket is ignored (<c>["x"] # note</c> is the exec form
    /// <c>["x"]</c>; a '#' is a comment only at the start of a line). Null when the first value is not valid JSON
    /// (Docker then treats the text as shell form); an error message when it is an array holding something
    /// other than strings.
    /// </summary>
    public static string[]? TryParseJsonArray(string text, out string? error)
    {
        error = null;
        text = text.TrimStart();
        if (!text.StartsWith('[')) return null;
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text), new JsonReaderOptions { AllowMultipleValues = true, MaxDepth = GoMaxNestingDepth });
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            return null;
        }
        using (document)
        {
            // Go decodes numbers into float64 and fails the whole decode on one out of range: shell form.
            if (HasNumberOutOfRange(document.RootElement)) return null;
            var items = new List<string>();
            foreach (var element in document.RootElement.EnumerateArray())
            {
                if (element.ValueKind != JsonValueKind.String)
                {
                    error = "the JSON array must hold only strings, e.g. [\"executable\", \"arg\"]";
                    return null;
                }
                items.Add(element.GetString()!);
            }
            return [.. items];
        }
    }

    /// <summary>The nesting limit of Go's JSON scanner; deeper text fails to decode.</summary>
    private const int GoMaxNestingDepth = 10000;

    private static bool HasNumberOutOfRange(JsonElement root)
    {
        var pending = new Stack<JsonElement>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var element = pending.Pop();
            switch (element.ValueKind)
            {
                case JsonValueKind.Number when !element.TryGetDouble(out var number) || !double.IsFinite(number):
                    return true;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray()) pending.Push(item);
                    break;
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject()) pending.Push(property.Value);
                    break;
            }
        }
        return false;
    }

    /// <summary>Splits a word like <c>key=value</c> at the first '='; null when there is none.</summary>
    public static (string Key, string Value)? SplitAssignment(string word)
    {
        var at = word.IndexOf('=');
        return at < 0 ? null : (word[..at], word[(at + 1)..]);
    }
}
