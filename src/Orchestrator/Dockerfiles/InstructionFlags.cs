using Orchestrator.Recipes;

namespace Orchestrator.Dockerfiles;

/// <summary>
/// The <c>--name=value</c> flags that lead an instruction's arguments (<c>COPY --from=build --chmod=755 …</c>).
/// Each flag is checked against what the instruction accepts and may be given more than once only when allowed.
/// </summary>
internal sealed class InstructionFlags
{
    private readonly List<(string Name, string? Value)> _flags = [];

    private InstructionFlags(string rest) => Rest = rest;

    /// <summary>The arguments after the flags.</summary>
    public string Rest { get; }

    public static InstructionFlags Parse(string arguments, char escape, SourceLocation at, IReadOnlyCollection<string> allowed, IReadOnlyCollection<string>? repeatable = null)
    {
        var flags = new List<(string, string?)>();
        var position = 0;
        while (true)
        {
            while (position < arguments.Length && char.IsWhiteSpace(arguments[position])) position++;
            if (position + 2 > arguments.Length || arguments[position] != '-' || arguments[position + 1] != '-') break;
            var end = FindWordEnd(arguments, position, escape);
            var token = arguments[(position + 2)..end];
            position = end;
            if (token.Length == 0) break; // a lone "--" ends the flags
            var assignment = DockerfileWords.SplitAssignment(token);
            var name = (assignment?.Key ?? token).ToLowerInvariant();
            var value = assignment?.Value;
            if (!allowed.Contains(name))
            {
                var accepted = allowed.Count == 0 ? "it takes no flags" : "it accepts " + string.Join(", ", allowed.Select(a => "--" + a));
                throw DockerfileParser.Error(at, $"{at.Member} does not support the flag '--{name}'; {accepted}");
            }
            if (flags.Any(f => f.Item1 == name) && (repeatable is null || !repeatable.Contains(name)))
                throw DockerfileParser.Error(at, $"{at.Member} flag '--{name}' is given twice; keep one");
            flags.Add((name, value));
        }
        var result = new InstructionFlags(arguments[position..].Trim());
        result._flags.AddRange(flags);
        return result;
    }

    public bool Has(string name) => _flags.Any(f => f.Name == name);

    /// <summary>The value of a flag that needs one (<c>--chown=1000</c>); null when the flag is absent.</summary>
    public string? Value(string name, SourceLocation at)
    {
        var flag = _flags.LastOrDefault(f => f.Name == name);
        if (flag.Name is null) return null;
        if (string.IsNullOrEmpty(flag.Value))
            throw DockerfileParser.Error(at, $"{at.Member} flag '--{name}' needs a value: --{name}=VALUE");
        return flag.Value;
    }

    public IEnumerable<string> Values(string name, SourceLocation at) =>
        _flags.Where(f => f.Name == name).Select(f => string.IsNullOrEmpty(f.Value)
            ? throw DockerfileParser.Error(at, $"{at.Member} flag '--{name}' needs a value: --{name}=VALUE")
            : f.Value);

    /// <summary>A boolean flag: <c>--link</c>, <c>--link=true</c> or <c>--link=false</c>.</summary>
    public bool Bool(string name, SourceLocation at)
    {
        var flag = _flags.LastOrDefault(f => f.Name == name);
        if (flag.Name is null) return false;
        return flag.Value?.ToLowerInvariant() switch
        {
            null or "" or "true" => true,
            "false" => false,
            _ => throw DockerfileParser.Error(at, $"{at.Member} flag '--{name}' takes true or false, not '{flag.Value}'"),
        };
    }

    private static int FindWordEnd(string text, int start, char escape)
    {
        char quote = '\0';
        for (var i = start; i < text.Length; i++)
        {
            var ch = text[i];
            if (ch == escape && quote != '\'' && i + 1 < text.Length) { i++; continue; }
            if (quote == '\0' && char.IsWhiteSpace(ch)) return i;
            if (quote == '\0' && ch is '"' or '\'') quote = ch;
            else if (ch == quote) quote = '\0';
        }
        return text.Length;
    }
}
