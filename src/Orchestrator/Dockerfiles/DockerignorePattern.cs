using System.Text;
using System.Text.RegularExpressions;

namespace Orchestrator.Dockerfiles;

/// <summary>
/// One <c>.dockerignore</c> line after cleaning: Go <c>filepath.Match</c> syntax (<c>*</c>, <c>?</c>, <c>[…]</c>,
/// <c>\</c> escapes) plus <c>**</c>, which matches any number of directories (zero included).
/// <see cref="IsException"/> is true for a <c>!</c> line, which re-includes what earlier lines excluded.
/// </summary>
public sealed class DockerignorePattern
{
    private readonly Regex _regex;

    /// <summary>The pattern when it has no wildcard or escape: a path matches it by being equal to it (no regex run).</summary>
    private readonly string? _literal;

    private DockerignorePattern(string pattern, bool isException, int line)
    {
        Pattern = pattern;
        IsException = isException;
        Line = line;
        _regex = new Regex(ToRegex(pattern), RegexOptions.CultureInvariant | RegexOptions.Singleline);
        _literal = pattern.AsSpan().IndexOfAny("*?[\\") < 0 ? pattern : null;
        Segments = pattern.Split('/');
    }

    /// <summary>The cleaned pattern, without the leading <c>!</c>.</summary>
    public string Pattern { get; }

    public bool IsException { get; }

    /// <summary>Line in the .dockerignore file (1-based), for messages.</summary>
    public int Line { get; }

    internal string[] Segments { get; }

    /// <summary>Parses one line; null for comments and blank lines.</summary>
    public static DockerignorePattern? Parse(string line, int lineNumber)
    {
        if (line.StartsWith('#')) return null;
        var pattern = line.Trim();
        if (pattern.Length == 0) return null;
        var isException = pattern[0] == '!';
        if (isException) pattern = pattern[1..].Trim();
        if (pattern.Length == 0) return null;
        pattern = CleanPath(pattern);
        if (pattern.Length > 1 && pattern[0] == '/') pattern = pattern[1..];
        return new DockerignorePattern(pattern, isException, lineNumber);
    }

    /// <summary>A single path segment of a pattern, matched on its own (no cleaning, no '!' or '#' meaning).</summary>
    internal static DockerignorePattern Segment(string segment) => new(segment, false, 0);

    /// <summary>Whether the pattern matches this exact path (slash-separated, relative to the context).</summary>
    public bool Matches(string path) => _literal is not null ? string.Equals(path, _literal, StringComparison.Ordinal) : _regex.IsMatch(path);

    public override string ToString() => (IsException ? "!" : "") + Pattern;

    /// <summary>True when <see cref="CleanPath"/> would return the path unchanged: no empty, '.' or '..' segment, no trailing '/' (a walk's paths are).</summary>
    private static bool IsClean(string path)
    {
        if (path == "/") return true;
        if (path[^1] == '/') return false;
        var start = path[0] == '/' ? 1 : 0;
        while (start <= path.Length)
        {
            var end = path.IndexOf('/', start);
            if (end < 0) end = path.Length;
            var segment = path.AsSpan(start, end - start);
            if (segment.Length == 0 || segment is "." or "..") return false;
            start = end + 1;
        }
        return true;
    }

    /// <summary>Go's <c>path.Clean</c>: collapse '//', drop '.', resolve '..', drop a trailing '/'.</summary>
    internal static string CleanPath(string path)
    {
        if (path.Length == 0) return ".";
        if (IsClean(path)) return path;
        var rooted = path[0] == '/';
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part.Length == 0 || part == ".") continue;
            if (part == "..")
            {
                if (parts.Count > 0 && parts[^1] != "..") parts.RemoveAt(parts.Count - 1);
                else if (!rooted) parts.Add("..");
                continue;
            }
            parts.Add(part);
        }
        var joined = string.Join('/', parts);
        return rooted ? "/" + joined : joined.Length == 0 ? "." : joined;
    }

    private static string ToRegex(string pattern)
    {
        var regex = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var ch = pattern[i];
            switch (ch)
            {
                case '*' when i + 1 < pattern.Length && pattern[i + 1] == '*':
                    i++;
                    if (i + 1 < pattern.Length && pattern[i + 1] == '/') i++; // "**/" is "**"
                    // "**" at the end takes everything; elsewhere any number of whole directories, zero included.
                    regex.Append(i + 1 >= pattern.Length ? ".*" : "(.*/)?");
                    break;
                case '*':
                    regex.Append("[^/]*");
                    break;
                case '?':
                    regex.Append("[^/]");
                    break;
                case '\\':
                    regex.Append(i + 1 < pattern.Length ? Regex.Escape(pattern[++i].ToString()) : @"\\");
                    break;
                case '[':
                    i = AppendClass(pattern, i, regex);
                    break;
                default:
                    regex.Append(Regex.Escape(ch.ToString()));
                    break;
            }
        }
        return regex.Append('$').ToString();
    }

    /// <summary>A character class as filepath.Match reads it: <c>[abc]</c>, <c>[a-z]</c>, <c>[^a]</c> (also <c>[!a]</c>); never matches '/'.</summary>
    private static int AppendClass(string pattern, int start, StringBuilder regex)
    {
        var end = start + 1;
        if (end < pattern.Length && pattern[end] is '^' or '!') end++;
        if (end < pattern.Length && pattern[end] == ']') end++;
        while (end < pattern.Length && pattern[end] != ']')
        {
            if (pattern[end] == '\\') end++;
            end++;
        }
        if (end >= pattern.Length)
            throw new OrchestratorException($".dockerignore pattern '{pattern}' has a '[' without its closing ']'; escape it as \\[ to match a bracket");

        var body = pattern[(start + 1)..end];
        var negate = body.Length > 0 && body[0] is '^' or '!';
        if (negate) body = body[1..];
        var cls = new StringBuilder(negate ? "[^/" : "[");
        for (var i = 0; i < body.Length; i++)
        {
            var c = body[i];
            if (c == '\\' && i + 1 < body.Length) c = body[++i];
            else if (c == '-' && i > 0 && i + 1 < body.Length) { cls.Append('-'); continue; }
            cls.Append(c is '\\' or ']' or '[' or '^' or '-' ? "\\" + c : c.ToString());
        }
        regex.Append(cls).Append(']');
        return end;
    }
}
