using System.Text;

namespace Orchestrator.Dockerfiles;

/// <summary>
/// Expands one Dockerfile word the way BuildKit's shell lexer does for ADD, COPY, ENV, EXPOSE, FROM, LABEL,
/// STOPSIGNAL, USER, VOLUME and WORKDIR: <c>$VAR</c>, <c>${VAR}</c>, <c>${VAR:-word}</c>, <c>${VAR-word}</c>,
/// <c>${VAR:+word}</c>, <c>${VAR+word}</c>, <c>${VAR:?message}</c>; single and double quotes are removed,
/// and the escape character makes the next character literal (so <c>\$</c> is a dollar sign).
/// Unset variables expand to the empty string, like Docker; <paramref name="unset"/> hears about plain
/// references (<c>$X</c>, <c>${X}</c>) that had no value, while forms with a default or alternative do not count.
/// With <paramref name="keepQuotes"/> quotes are ordinary characters: how BuildKit expands the body of a COPY/ADD
/// here-document (its lexer's SkipProcessQuotes), where the escape character still makes the next one literal.
/// </summary>
internal sealed class ShellWordExpander(char escape, Func<string, string?> lookup, Action<string>? unset = null, bool keepQuotes = false)
{
    /// <summary>Thrown for malformed words; the parser adds the Dockerfile location.</summary>
    public sealed class ExpansionException(string message) : Exception(message);

    public string Expand(string word)
    {
        var reader = new Reader(word);
        var result = ExpandUntil(ref reader, stopAt: null);
        return result;
    }

    private string ExpandUntil(ref Reader reader, char? stopAt)
    {
        var output = new StringBuilder();
        while (!reader.AtEnd)
        {
            var ch = reader.Peek();
            if (stopAt is { } stop && ch == stop) break;
            reader.Next();
            if (ch == escape)
            {
                if (reader.AtEnd) output.Append(ch); // a trailing escape stays literal
                else output.Append(reader.Next());
            }
            else if (ch == '\'' && !keepQuotes)
            {
                output.Append(ReadSingleQuoted(ref reader));
            }
            else if (ch == '"' && !keepQuotes)
            {
                output.Append(ReadDoubleQuoted(ref reader));
            }
            else if (ch == '$')
            {
                output.Append(ReadVariable(ref reader));
            }
            else
            {
                output.Append(ch);
            }
        }
        return output.ToString();
    }

    private static string ReadSingleQuoted(ref Reader reader)
    {
        var output = new StringBuilder();
        while (true)
        {
            if (reader.AtEnd) throw new ExpansionException("unexpected end of text: a single quote (') is not closed");
            var ch = reader.Next();
            if (ch == '\'') return output.ToString();
            output.Append(ch);
        }
    }

    private string ReadDoubleQuoted(ref Reader reader)
    {
        var output = new StringBuilder();
        while (true)
        {
            if (reader.AtEnd) throw new ExpansionException("unexpected end of text: a double quote (\") is not closed");
            var ch = reader.Next();
            if (ch == '"') return output.ToString();
            if (ch == '$')
            {
                output.Append(ReadVariable(ref reader));
            }
            else if (ch == escape && !reader.AtEnd && (reader.Peek() is '"' or '$' || reader.Peek() == escape))
            {
                output.Append(reader.Next());
            }
            else
            {
                output.Append(ch);
            }
        }
    }

    private string ReadVariable(ref Reader reader)
    {
        if (reader.AtEnd) return "$";
        var ch = reader.Peek();
        if (ch == '{')
        {
            reader.Next();
            return ReadBracedVariable(ref reader);
        }
        var name = ReadName(ref reader);
        return name.Length == 0 ? "$" : Plain(name);
    }

    private string ReadBracedVariable(ref Reader reader)
    {
        var name = ReadName(ref reader);
        if (name.Length == 0) throw new ExpansionException("bad substitution: '${' must be followed by a variable name");
        if (reader.AtEnd) throw new ExpansionException($"bad substitution: '${{{name}' is missing its closing '}}'");
        var ch = reader.Next();
        if (ch == '}') return Plain(name);

        var colon = ch == ':';
        if (colon)
        {
            if (reader.AtEnd) throw new ExpansionException($"bad substitution: '${{{name}:' is incomplete");
            ch = reader.Next();
        }
        if (ch is not ('-' or '+' or '?'))
            throw new ExpansionException($"unsupported substitution '${{{name}{(colon ? ":" : "")}{ch}…}}': use ${{{name}}}, ${{{name}:-default}}, ${{{name}:+alternative}} or ${{{name}:?message}}");
        var word = ExpandUntil(ref reader, '}');
        if (reader.AtEnd) throw new ExpansionException($"bad substitution: '${{{name}' is missing its closing '}}'");
        reader.Next();

        var value = lookup(name);
        var isSet = colon ? !string.IsNullOrEmpty(value) : value is not null;
        return ch switch
        {
            '-' => isSet ? value! : word,
            '+' => isSet ? word : "",
            _ => isSet ? value! : throw new ExpansionException($"{name}: {(word.Length > 0 ? word : "is not set")}"),
        };
    }

    private string Plain(string name)
    {
        var value = lookup(name);
        if (value is null) unset?.Invoke(name);
        return value ?? "";
    }

    private static string ReadName(ref Reader reader)
    {
        var start = reader.Position;
        while (!reader.AtEnd && (char.IsAsciiLetterOrDigit(reader.Peek()) || reader.Peek() == '_')) reader.Next();
        return reader.Slice(start);
    }

    private ref struct Reader(string text)
    {
        private readonly string _text = text;

        public int Position { get; private set; }

        public readonly bool AtEnd => Position >= _text.Length;

        public readonly char Peek() => _text[Position];

        public char Next() => _text[Position++];

        public readonly string Slice(int start) => _text[start..Position];
    }
}
