namespace Orchestrator.Dockerfiles;

/// <summary>
/// Decides which build-context paths <c>.dockerignore</c> excludes, with Docker's rules: patterns are checked
/// in order and the last one that matches wins (a <c>!</c> pattern re-includes); a pattern that matches a
/// directory also matches everything below it. Paths are relative to the context, with '/' separators.
/// </summary>
public sealed class DockerignoreMatcher
{
    public const string FileName = ".dockerignore";

    /// <summary>Without exception patterns: whether each folder asked about so far is excluded (a walk asks for every file of a folder).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _excludedFolders = new(StringComparer.Ordinal);

    public DockerignoreMatcher(IEnumerable<DockerignorePattern> patterns)
    {
        Patterns = patterns.ToList();
        HasExceptions = Patterns.Any(p => p.IsException);
    }

    public static DockerignoreMatcher Empty { get; } = new([]);

    public IReadOnlyList<DockerignorePattern> Patterns { get; }

    /// <summary>True when some pattern is an exception (<c>!</c>), which is what forces walking into excluded directories.</summary>
    public bool HasExceptions { get; }

    public static DockerignoreMatcher Parse(string text)
    {
        if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..];
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var patterns = new List<DockerignorePattern>();
        for (var i = 0; i < lines.Length; i++)
            if (DockerignorePattern.Parse(lines[i], i + 1) is { } pattern) patterns.Add(pattern);
        return new DockerignoreMatcher(patterns);
    }

    /// <summary>
    /// Reads <paramref name="ignoreFile"/> when given (a Dockerfile's own <c>&lt;Dockerfile&gt;.dockerignore</c>), else
    /// <c>&lt;context&gt;/.dockerignore</c>; no file means nothing is excluded.
    /// </summary>
    public static async Task<DockerignoreMatcher> LoadAsync(string contextDirectory, string? ignoreFile = null, CancellationToken cancellationToken = default)
    {
        var path = ignoreFile ?? Path.Combine(contextDirectory, FileName);
        if (!File.Exists(path)) return Empty;
        return Parse(await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Synchronous <see cref="LoadAsync"/> for callers outside async code (the file is small).</summary>
    public static DockerignoreMatcher Load(string contextDirectory, string? ignoreFile = null)
    {
        var path = ignoreFile ?? Path.Combine(contextDirectory, FileName);
        return File.Exists(path) ? Parse(File.ReadAllText(path)) : Empty;
    }

    /// <summary>Whether the path (a file or a directory) is left out of the build context.</summary>
    public bool IsExcluded(string relativePath)
    {
        var path = Normalize(relativePath);
        if (path == ".") return false;
        if (!HasExceptions) return ExcludedWithoutExceptions(path);
        var parents = ParentPaths(path);
        var excluded = false;
        foreach (var pattern in Patterns)
        {
            if (pattern.IsException == !excluded) continue; // cannot change the outcome
            if (pattern.Matches(path) || parents.Any(pattern.Matches)) excluded = !pattern.IsException;
        }
        return excluded;
    }

    /// <summary>
    /// With no exception pattern the order of the patterns does not matter: a path is excluded when one matches it or
    /// one of its folders — and a folder's answer, the same for each of its files, is worked out once.
    /// </summary>
    private bool ExcludedWithoutExceptions(string path)
    {
        foreach (var pattern in Patterns)
            if (pattern.Matches(path)) return true;
        var slash = path.LastIndexOf('/');
        return slash > 0 && _excludedFolders.GetOrAdd(path[..slash], ExcludedWithoutExceptions);
    }

    /// <summary>
    /// Whether a walk of the context must enter this directory: it is not excluded, or it is but an exception
    /// pattern may re-include something below it. False means everything below is excluded and can be skipped.
    /// </summary>
    public bool ShouldWalk(string relativeDirectory)
    {
        var path = Normalize(relativeDirectory);
        if (!IsExcluded(path)) return true;
        var segments = path.Split('/');
        return Patterns.Any(p => p.IsException && MayMatchBelow(p.Segments, 0, segments, 0));
    }

    /// <summary>
    /// True when the pattern could match some path strictly below the directory: every directory segment is
    /// matched in turn and pattern segments remain (a <c>**</c> segment can absorb any number of directories).
    /// </summary>
    private static bool MayMatchBelow(string[] pattern, int p, string[] directory, int d)
    {
        if (d == directory.Length) return p < pattern.Length;
        if (p == pattern.Length) return false;
        if (pattern[p].Contains("**", StringComparison.Ordinal)) return true; // conservative: ** can span anything
        if (!DockerignorePattern.Segment(pattern[p]).Matches(directory[d])) return false;
        return MayMatchBelow(pattern, p + 1, directory, d + 1);
    }

    private static string Normalize(string path)
    {
        var cleaned = DockerignorePattern.CleanPath(path);
        return cleaned.Length > 1 && cleaned[0] == '/' ? cleaned[1..] : cleaned;
    }

    private static List<string> ParentPaths(string path)
    {
        var parents = new List<string>();
        for (var at = path.IndexOf('/'); at >= 0; at = path.IndexOf('/', at + 1)) parents.Add(path[..at]);
        return parents;
    }
}
