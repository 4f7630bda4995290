using System.Text.RegularExpressions;

namespace Orchestrator.Execution;

/// <summary>One file-system entry a COPY/ADD places: <see cref="Source"/> on disk → <see cref="Destination"/> in the image.</summary>
public sealed record CopyEntry(string Source, string Destination, bool IsDirectory);

/// <summary>
/// Docker's COPY rules, resolved against a source folder (the build context or another stage's root):
/// a folder source copies its contents, a file goes into a destination ending in '/' or becomes the
/// destination, several sources (also through wildcards) need a destination folder ending in '/',
/// relative destinations build on WORKDIR, top-level symlinks are followed, ignored files are invisible.
/// </summary>
public sealed class CopyPlanner(string sourceRoot, Func<string, bool>? isIgnored = null)
{
    private readonly string _root = Path.GetFullPath(sourceRoot);
    private readonly Func<string, bool> _ignored = isIgnored ?? (_ => false);

    /// <param name="sources">Source paths as written (relative to the root; '/' means the root).</param>
    /// <param name="destination">Destination as written.</param>
    /// <param name="workingDir">The stage's WORKDIR, for relative destinations.</param>
    /// <param name="isDirectoryInImage">Whether a path already is a folder in the image (a file then goes into it).</param>
    public IReadOnlyList<CopyEntry> Plan(IReadOnlyList<string> sources, string destination, string workingDir, Func<string, bool>? isDirectoryInImage = null)
    {
        var destinationPath = ConfigInstructions.ResolveWorkdir(workingDir, destination);
        var destinationIsFolder = destination.EndsWith('/') || destination is "." or ".." || destination.EndsWith("/.");
        var matches = sources.SelectMany(Expand).ToList();
        if (matches.Count == 0)
            throw new OrchestratorException($"COPY: no source files were specified by {string.Join(", ", sources.Select(s => $"'{s}'"))} in {_root}");
        if ((matches.Count > 1 || sources.Count > 1) && !destinationIsFolder)
            throw new OrchestratorException($"COPY: when copying several sources ({string.Join(", ", sources)}) the destination '{destination}' must be a folder ending in '/'");

        var entries = new List<CopyEntry>();
        foreach (var (relative, full) in matches)
        {
            var resolved = ResolveTopLevelLink(full, relative);
            if (Directory.Exists(resolved))
            {
                entries.Add(new CopyEntry(resolved, destinationPath, IsDirectory: true));
                AddTree(resolved, relative, destinationPath, entries);
            }
            else
            {
                var intoFolder = destinationIsFolder || (isDirectoryInImage?.Invoke(destinationPath) ?? false);
                var target = intoFolder ? Join(destinationPath, Path.GetFileName(relative.TrimEnd('/'))) : destinationPath;
                entries.Add(new CopyEntry(resolved, target, IsDirectory: false));
            }
        }
        return entries;
    }

    private IEnumerable<(string Relative, string Full)> Expand(string source)
    {
        var relative = Normalise(source);
        if (relative.Split('/').Contains(".."))
            throw new OrchestratorException($"COPY source '{source}' is outside the context {_root}");
        if (!HasWildcard(relative))
        {
            var full = relative.Length == 0 ? _root : Path.Combine(_root, relative);
            if (!File.Exists(full) && !Directory.Exists(full) && !IsLink(full))
                throw new OrchestratorException($"COPY source '{source}' not found in {_root}; check the path (it is relative to the context) and .dockerignore");
            if (relative.Length > 0 && _ignored(relative))
                throw new OrchestratorException($"COPY source '{source}' is excluded by .dockerignore in {_root}");
            return [(relative, full)];
        }
        return Glob(relative);
    }

    private IEnumerable<(string, string)> Glob(string pattern)
    {
        var parts = pattern.Split('/');
        IEnumerable<string> current = [""];
        foreach (var part in parts)
        {
            if (!HasWildcard(part))
            {
                current = current.Select(c => Join2(c, part)).Where(c => Exists(Path.Combine(_root, c)));
                continue;
            }
            var regex = GlobToRegex(part);
            current = current.SelectMany(c =>
            {
                var folder = c.Length == 0 ? _root : Path.Combine(_root, c);
                return Directory.Exists(folder)
                    ? Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).Where(n => regex.IsMatch(n!)).Order(StringComparer.Ordinal).Select(n => Join2(c, n!))
                    : [];
            }).ToList();
        }
        return current.Where(r => !_ignored(r)).Select(r => (r, Path.Combine(_root, r)));
    }

    private void AddTree(string folder, string relative, string destination, List<CopyEntry> entries)
    {
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var childRelative = Join2(relative, entry.Name);
            var target = Join(destination, entry.Name);
            var isFolder = entry is DirectoryInfo && entry.LinkTarget is null;
            if (!_ignored(childRelative)) entries.Add(new CopyEntry(entry.FullName, target, isFolder));
            // An ignored folder may still hold files that a later '!' pattern re-includes: walk it anyway.
            if (isFolder) AddTree(entry.FullName, childRelative, target, entries);
        }
    }

    private string ResolveTopLevelLink(string full, string relative)
    {
        var info = new FileInfo(full);
        if (info.LinkTarget is null) return full;
        var target = info.ResolveLinkTarget(returnFinalTarget: true)?.FullName;
        if (target is null || !(target + "/").StartsWith(_root + "/", StringComparison.Ordinal))
            throw new OrchestratorException($"COPY source '{relative}' is a symlink that points outside {_root}");
        return target;
    }

    private static bool Exists(string path) => File.Exists(path) || Directory.Exists(path) || IsLink(path);

    private static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;

    private static bool HasWildcard(string path) => path.IndexOfAny(['*', '?', '[']) >= 0;

    private static string Normalise(string source)
    {
        var parts = source.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToList();
        var stack = new List<string>();
        foreach (var part in parts)
        {
            if (part == ".." && stack.Count > 0 && stack[^1] != "..") stack.RemoveAt(stack.Count - 1);
            else stack.Add(part);
        }
        return string.Join('/', stack);
    }

    private static string Join(string folder, string name) => folder == "/" ? "/" + name : folder.TrimEnd('/') + "/" + name;

    private static string Join2(string relative, string name) => relative.Length == 0 ? name : relative + "/" + name;

    /// <summary>Go's filepath.Match for one path segment: *, ?, [ranges] with ^ or ! negation, \ escapes.</summary>
    internal static Regex GlobToRegex(string segment)
    {
        var pattern = new System.Text.StringBuilder("^");
        for (var i = 0; i < segment.Length; i++)
        {
            var c = segment[i];
            switch (c)
            {
                case '*': pattern.Append("[^/]*"); break;
                case '?': pattern.Append("[^/]"); break;
                case '\\' when i + 1 < segment.Length: pattern.Append(Regex.Escape(segment[++i].ToString())); break;
                case '[':
                    var end = segment.IndexOf(']', i + 1);
                    if (end < 0) throw new OrchestratorException($"COPY pattern '{segment}' has an unclosed '['");
                    var body = segment[(i + 1)..end];
                    if (body.StartsWith('^') || body.StartsWith('!')) body = "^" + body[1..];
                    pattern.Append('[').Append(body.Replace("\\", "\\\\")).Append(']');
                    i = end;
                    break;
                default: pattern.Append(Regex.Escape(c.ToString())); break;
            }
        }
        return new Regex(pattern.Append('$').ToString(), RegexOptions.CultureInvariant);
    }
}
