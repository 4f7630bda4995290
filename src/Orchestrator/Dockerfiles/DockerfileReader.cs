using System.Text.Json;
using System.Text.RegularExpressions;
using Orchestrator.Recipes;

namespace Orchestrator.Dockerfiles;

/// <summary>
/// Splits Dockerfile text into logical lines the way BuildKit's parser does: parser directives only at the
/// very top, whole-line comments dropped (also inside continuations), the escape character at the end of a
/// line joins it with the next, empty continuation lines skipped, and here-documents read for RUN/COPY/ADD.
/// </summary>
internal sealed partial class DockerfileReader
{
    private readonly string _path;
    private readonly string[] _lines;
    private int _next;

    private DockerfileReader(string text, string path)
    {
        _path = path;
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        _lines = text.Replace("\r\n", "\n").Split('\n');
        if (_lines.Length > 0 && _lines[^1].Length == 0) _lines = _lines[..^1];
    }

    public char Escape { get; private set; } = '\\';

    public string? Syntax { get; private set; }

    /// <summary>
    /// <c># orchestratorargs={"stage":{"NAME":"value"}}</c>: the ARG values named stages start with (see
    /// <see cref="Recipes.StageRecipe.InheritedArgs"/>). BuildKit and Kaniko read it as a comment.
    /// </summary>
    public const string InheritedArgsDirective = "orchestratorargs";

    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> InheritedArgs { get; private set; } = new Dictionary<string, IReadOnlyDictionary<string, string>>();

    private IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ParseInheritedArgs(string value, int line)
    {
        try
        {
            using var document = JsonDocument.Parse(value);
            var stages = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
            foreach (var stage in Members(document.RootElement, "the value"))
            {
                var args = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var arg in Members(stage.Value, $"the value of '{stage.Name}'"))
                    args[arg.Name] = arg.Value.ValueKind == JsonValueKind.String
                        ? arg.Value.GetString()!
                        : throw new JsonException($"ARG '{arg.Name}' of '{stage.Name}' is not a string");
                stages[stage.Name] = args;
            }
            return stages;
        }
        catch (JsonException error)
        {
            throw Error(line, "directive", $"parser directive '{InheritedArgsDirective}' must be a JSON object of stage names to objects of ARG values: {error.Message}");
        }
    }

    private static JsonElement.ObjectEnumerator Members(JsonElement element, string what) =>
        element.ValueKind == JsonValueKind.Object ? element.EnumerateObject() : throw new JsonException($"{what} is not an object");

    public static (IReadOnlyList<LogicalLine> Lines, char Escape, string? Syntax) Read(string text, string path) =>
        ReadWithArgs(text, path) is var read ? (read.Lines, read.Escape, read.Syntax) : default;

    /// <summary><see cref="Read"/>, with the ARG values stages start with (the <c>orchestratorargs</c> directive).</summary>
    public static (IReadOnlyList<LogicalLine> Lines, char Escape, string? Syntax, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> InheritedArgs) ReadWithArgs(string text, string path)
    {
        var reader = new DockerfileReader(text, path);
        reader.ReadDirectives();
        var lines = new List<LogicalLine>();
        while (reader.ReadInstruction() is { } line) lines.Add(line);
        return (lines, reader.Escape, reader.Syntax, reader.InheritedArgs);
    }

    private void ReadDirectives()
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (_next < _lines.Length)
        {
            var match = Directive().Match(_lines[_next]);
            if (!match.Success) return;
            var name = match.Groups[1].Value.ToLowerInvariant();
            var value = match.Groups[2].Value;
            if (name is not ("escape" or "syntax" or "check" or InheritedArgsDirective)) return; // an ordinary comment ends the directives
            if (!seen.Add(name)) throw Error(_next + 1, "directive", $"parser directive '{name}' is given twice; keep one");
            if (name == "escape")
            {
                if (value is not ("\\" or "`"))
                    throw Error(_next + 1, "directive", $"invalid escape character '{value}': use '\\' or '`'");
                Escape = value[0];
            }
            else if (name == "syntax")
            {
                Syntax = value;
            }
            else if (name == InheritedArgsDirective)
            {
                InheritedArgs = ParseInheritedArgs(value, _next + 1);
            }
            _next++;
        }
    }

    private LogicalLine? ReadInstruction()
    {
        while (_next < _lines.Length)
        {
            var raw = _lines[_next++];
            var start = _next;
            var trimmed = raw.TrimStart();
            if (trimmed.Length == 0 || trimmed[0] == '#') continue;

            var (text, continues) = TrimContinuation(trimmed);
            while (continues && _next < _lines.Length)
            {
                var next = _lines[_next++];
                var nextTrimmed = next.TrimStart();
                if (nextTrimmed.StartsWith('#')) continue; // Docker drops comment lines inside a continuation
                if (nextTrimmed.Length == 0) continue;     // and empty continuation lines
                (var more, continues) = TrimContinuation(next);
                text += more;
            }

            text = text.Trim();
            if (text.Length == 0) continue;
            var split = Whitespace().Match(text);
            var keyword = (split.Success ? text[..split.Index] : text).ToUpperInvariant();
            var arguments = split.Success ? text[(split.Index + split.Length)..] : "";
            var heredocs = keyword is "RUN" or "COPY" or "ADD" ? ReadHeredocs(start, keyword, arguments) : [];
            return new LogicalLine(start, keyword, arguments, heredocs);
        }
        return null;
    }

    private List<Heredoc> ReadHeredocs(int line, string keyword, string arguments)
    {
        var heredocs = new List<Heredoc>();
        foreach (Match match in HeredocMarker().Matches(arguments))
        {
            var stripTabs = match.Groups["dash"].Success && match.Groups["dash"].Length > 0;
            var quoted = match.Groups["quote"].Length > 0;
            var name = match.Groups["name"].Value;
            var content = new System.Text.StringBuilder();
            var closed = false;
            while (_next < _lines.Length)
            {
                var body = _lines[_next++];
                if (stripTabs) body = body.TrimStart('\t');
                if (body == name)
                {
                    closed = true;
                    break;
                }
                content.Append(body).Append('\n');
            }
            if (!closed)
                throw Error(line, keyword, $"here-document '<<{name}' is not closed: add a line with just '{name}'");
            heredocs.Add(new Heredoc(name, content.ToString(), !quoted));
        }
        return heredocs;
    }

    /// <summary>Whether RUN/COPY/ADD arguments would be read as opening a here-document.</summary>
    public static bool HasHeredocMarker(string arguments) => HeredocMarker().IsMatch(arguments);

    private (string Text, bool Continues) TrimContinuation(string line)
    {
        var end = line.Length;
        while (end > 0 && line[end - 1] is ' ' or '\t') end--;
        if (end > 0 && line[end - 1] == Escape) return (line[..(end - 1)], true);
        return (line, false);
    }

    private RecipeException Error(int line, string keyword, string message) =>
        new([new RecipeError(new SourceLocation(_path, line, keyword), message)]);

    [GeneratedRegex(@"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")]
    private static partial Regex Directive();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"(?<!<)<<(?<dash>-?)(?<quote>[""']?)(?<name>[A-Za-z_][A-Za-z0-9_]*)\k<quote>")]
    private static partial Regex HeredocMarker();
}
