using System.IO.Enumeration;
using System.Text.RegularExpressions;

namespace Orchestrator.Execution;

/// <summary>One file-system entry a COPY/ADD places: <see cref="Source"/> on disk → <see cref="Destination"/> in the image.</summary>
public sealed record CopyEntry(string Source, string Destination, bool IsDirectory)
{
    /// <summary>
    /// The entry is a source as named or matched by the instruction, not something found inside a source folder:
    /// only such a file is unpacked by ADD, and such a folder only receives its contents (it keeps the image's
    /// metadata, or is made 0755 like every folder the copy creates; the source folder's own mode is not copied).
    /// </summary>
    public bool IsSource { get; init; }
}

/// <summary>
/// Docker's COPY rules, resolved against a source folder (the build context or another stage's root):
/// a folder source copies its contents, a file goes into a destination ending in '/' or becomes the
/// destination, several sources (also through wildcards) need a destination folder ending in '/',
/// relative destinations build on WORKDIR, top-level symlinks are followed, ignored files are invisible.
/// The destination is resolved through the image's own symlinks first, as Docker's builder does, so
/// <c>COPY x /bin/x</c> on a merged-/usr image writes <c>/usr/bin/x</c> and keeps the <c>/bin</c> link.
/// </summary>
public sealed class CopyPlanner(string sourceRoot, Func<string, bool>? isIgnored = null)
{
    private readonly string _root = Path.GetFullPath(sourceRoot);
    private readonly Func<string, bool> _ignored = isIgnored ?? (_ => false);

    /// <param name="sources">Source paths as written (relative to the root; '/' means the root).</param>
    /// <param name="destination">Destination as written.</param>
    /// <param name="workingDir">The stage's WORKDIR, for relative destinations.</param>
    /// <param name="isDirectoryInImage">Whether a path (links resolved) already is a folder in the image (a file then goes into it).</param>
    /// <param name="resolveInImage">The image path a path reaches through the image's symlinks (absolute); null: the image has none.</param>
    public IReadOnlyList<CopyEntry> Plan(IReadOnlyList<string> sources, string destination, string workingDir, Func<string, bool>? isDirectoryInImage = null, Func<string, string>? resolveInImage = null)
    {
        var destinationPath = ConfigInstructions.ResolveWorkdir(workingDir, destination);
        if (resolveInImage is not null) destinationPath = resolveInImage(destinationPath);
        var destinationIsFolder = destination.EndsWith('/') || destination is "." or ".." || destination.EndsWith("/.");
        var intoFolder = destinationIsFolder || (isDirectoryInImage?.Invoke(destinationPath) ?? false);
        var matches = sources.SelectMany(Expand).Select(m => (m.Relative, Full: ResolveTopLevelLink(m.Full, m.Relative))).ToList();
        if (matches.Count == 0)
            throw new OrchestratorException($"COPY: no source files were specified by {string.Join(", ", sources.Select(s => $"'{s}'"))} in {_root}");
        // Counted after wildcards and .dockerignore, as one match is one source. Folders merge their contents into
        // the destination, so only files need a folder to go into (else each would overwrite the one before).
        if (matches.Count > 1 && !intoFolder && matches.Any(m => !Directory.Exists(m.Full)))
            throw new OrchestratorException($"COPY: {string.Join(", ", sources)} names {matches.Count} sources ({string.Join(", ", matches.Take(5).Select(m => m.Relative))}{(matches.Count > 5 ? ", …" : "")}), so the destination '{destination}' must be a folder: end it with '/'");

        var entries = new List<CopyEntry>();
        foreach (var (relative, resolved) in matches)
        {
            if (Directory.Exists(resolved))
            {
                entries.Add(new CopyEntry(resolved, destinationPath, IsDirectory: true) { IsSource = true });
                AddTree(resolved, relative, destinationPath, entries);
            }
            else
            {
                var target = intoFolder ? Join(destinationPath, Path.GetFileName(relative.TrimEnd('/'))) : destinationPath;
                entries.Add(new CopyEntry(resolved, target, IsDirectory: false) { IsSource = true });
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

    /// <summary>The paths (relative to the root) a source with wildcards matches, in order; ignored paths left out.</summary>
    public IReadOnlyList<string> MatchWildcards(string source) => Glob(Normalise(source)).Select(m => m.Item1).ToList();

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
        foreach (var (name, full, isFolder) in Children(folder))
        {
            var childRelative = Join2(relative, name);
            var target = Join(destination, name);
            if (!_ignored(childRelative)) entries.Add(new CopyEntry(full, target, isFolder));
            // An ignored folder may still hold files that a later '!' pattern re-includes: walk it anyway.
            if (isFolder) AddTree(full, childRelative, target, entries);
        }
    }

    /// <summary>
    /// A folder's entries in ordinal order, typed from the directory listing itself (no stat or readlink per entry):
    /// a symlink, even to a folder, is not a folder to walk into.
    /// </summary>
    private static List<(string Name, string Full, bool IsFolder)> Children(string folder)
    {
        var children = new FileSystemEnumerable<(string, string, bool)>(folder,
            (ref FileSystemEntry entry) => (entry.FileName.ToString(), entry.ToFullPath(), entry.IsDirectory && (entry.Attributes & FileAttributes.ReparsePoint) == 0),
            new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false }).ToList();
        children.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        return children;
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

    internal static bool HasWildcard(string path) => path.IndexOfAny(['*', '?', '[']) >= 0;

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
