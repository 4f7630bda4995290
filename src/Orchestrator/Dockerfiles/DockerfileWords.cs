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
    /// The exec form: a JSON array of strings. Null when the text is not a JSON array at all (Docker then
    /// treats it as shell form); an error message when it is JSON but holds something other than strings.
    /// </summary>
    public static string[]? TryParseJsonArray(string text, out string? error)
    {
        error = null;
        if (!text.StartsWith('[')) return null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array) return null;
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

    /// <summary>Splits a word like <c>key=value</c> at the first '='; null when there is none.</summary>
    public static (string Key, string Value)? SplitAssignment(string word)
    {
        var at = word.IndexOf('=');
        return at < 0 ? null : (word[..at], word[(at + 1)..]);
    }
}
