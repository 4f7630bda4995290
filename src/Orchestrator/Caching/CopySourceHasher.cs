using System.Globalization;
using System.Security.Cryptography;
using Orchestrator.Execution;
using Orchestrator.Layers;
using Orchestrator.Oci;
using Orchestrator.Recipes;

namespace Orchestrator.Caching;

/// <summary>
/// Computes the <see cref="SelectionDigest"/> of what a COPY or ADD places: exactly the entries
/// <see cref="CopyPlanner"/> selects (wildcards, folders copied by content, top-level links followed, .dockerignore
/// applied), each as <c>entry{path, type, mode, content, link}</c> in the copy's order (see docs/caching.md).
/// Paths are relative to the destination as if it were a folder: a file source is its name, a folder source
/// contributes its contents. Owners are not per entry: a copy gives every entry root or its <c>--chown</c>, which
/// is a part of the step key. Times and the order a folder lists its entries in never count.
/// </summary>
public sealed class CopySourceHasher(FileContentHasher files)
{
    public FileContentHasher Files => files;

    /// <summary>
    /// The selection in a plain folder: the build context (pass its .dockerignore as <paramref name="isIgnored"/>),
    /// or a folder holding another image's files for <c>COPY --from</c>.
    /// </summary>
    /// <param name="sources">The sources as written (relative to <paramref name="root"/>).</param>
    /// <param name="chmod">The step's <c>--chmod</c> (octal), which replaces every copied mode; null keeps the files' own.</param>
    public async Task<SelectionDigest> HashFolderAsync(string root, IReadOnlyList<string> sources, string? chmod, Func<string, bool>? isIgnored, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var fullRoot = Path.GetFullPath(root).TrimEnd('/');
        // The folder's memo loads while the planner walks the folder.
        var memo = files.PreloadMemoAsync(fullRoot, cancellationToken);
        var planned = new CopyPlanner(fullRoot.Length == 0 ? "/" : fullRoot, isIgnored).Plan(sources, "/", "/");
        var entries = new SelectedEntry?[planned.Count];
        var options = new ParallelOptions { MaxDegreeOfParallelism = files.Parallelism, CancellationToken = cancellationToken };
        await Task.Run(() => Parallel.For(0, planned.Count, options, i =>
        {
            var entry = planned[i];
            if (entry.IsDirectory && entry.IsSource)
            {
                entries[i] = SelectedEntry.SourceFolder;
                return;
            }
            if (Libc.LinkStatus(entry.Source) is not { } status) return; // vanished: reported below
            var relative = entry.Source.StartsWith(fullRoot + "/", StringComparison.Ordinal) ? entry.Source[(fullRoot.Length + 1)..] : Path.GetRelativePath(fullRoot, entry.Source);
            entries[i] = Describe(entry.Destination.TrimStart('/'), fullRoot, relative, entry.Source, status);
        }), cancellationToken).ConfigureAwait(false);
        if (Array.IndexOf(entries, null) is var gone and >= 0)
            throw new OrchestratorException($"'{planned[gone].Source}' disappeared while its cache key was computed; run the build again");
        await memo.ConfigureAwait(false);
        return await DigestAsync(entries!, chmod, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The selection in another image's filesystem seen through its layer folders, for <c>COPY --from</c>, read the
    /// way the executor reads it: a source is followed through the image's symlinks inside its root (a link named as
    /// a source copies the target's content under the link's name), links inside a copied folder stay links, and a
    /// wildcard matches the merged listing of the layers. Gives the same digest as <see cref="HashFolderAsync"/>
    /// over a folder holding the same files.
    /// </summary>
    public async Task<SelectionDigest> HashLayerStackAsync(LayerStackView view, IReadOnlyList<string> sources, string? chmod, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var entries = new List<SelectedEntry>();
        foreach (var source in sources)
        {
            var parts = source.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToArray();
            var literal = parts.TakeWhile(p => !CopyPlanner.HasWildcard(p)).Count();
            if (literal == parts.Length)
            {
                AddFromView(view, source, parts.Length == 0 ? "" : parts[^1], view.ResolveLinks(source), entries);
                continue;
            }
            var matches = Glob(view, view.ResolveLinks(string.Join('/', parts[..literal])), parts[literal..]);
            if (matches.Count == 0)
                throw new OrchestratorException($"COPY --from: no source files were specified by '{source}' in the source image");
            foreach (var match in matches)
                AddFromView(view, source, LayerPath.Name(match), view.ResolveLinks(match), entries);
        }
        return await DigestAsync(entries, chmod, cancellationToken).ConfigureAwait(false);
    }

    private static void AddFromView(LayerStackView view, string source, string name, string resolved, List<SelectedEntry> entries)
    {
        if (resolved.Length == 0)
        {
            entries.Add(SelectedEntry.SourceFolder);
            AddTree(view, "", "", entries);
            return;
        }
        var host = view.Resolve(resolved) ?? throw new OrchestratorException($"COPY --from: '{source}' does not exist in the source image");
        var status = Libc.LinkStatus(host) ?? throw new OrchestratorException($"COPY --from: '{source}' disappeared from the source image's layers");
        if (FileKind.IsDirectory(status))
        {
            entries.Add(SelectedEntry.SourceFolder);
            AddTree(view, resolved, "", entries);
            return;
        }
        entries.Add(DescribeInView(view, name, host, status));
    }

    private static void AddTree(LayerStackView view, string folder, string prefix, List<SelectedEntry> entries)
    {
        foreach (var name in view.VisibleChildren(folder))
        {
            var relative = LayerPath.Combine(folder, name);
            var host = view.Resolve(relative)!;
            if (Libc.LinkStatus(host) is not { } status) continue;
            var path = LayerPath.Combine(prefix, name);
            entries.Add(DescribeInView(view, path, host, status));
            if (FileKind.IsDirectory(status)) AddTree(view, relative, path, entries);
        }
    }

    /// <summary>Go's filepath.Match per segment over the merged listing, matches in ordinal order per folder, as CopyPlanner globs a folder.</summary>
    private static List<string> Glob(LayerStackView view, string start, string[] segments)
    {
        var current = new List<string> { start };
        foreach (var segment in segments)
        {
            var next = new List<string>();
            if (!CopyPlanner.HasWildcard(segment))
            {
                next.AddRange(current.Select(c => LayerPath.Combine(c, segment)).Where(c => view.Resolve(c) is not null));
            }
            else
            {
                var pattern = CopyPlanner.GlobToRegex(segment);
                foreach (var folder in current)
                    if (folder.Length == 0 || (view.Resolve(folder) is { } host && Directory.Exists(host)))
                        next.AddRange(view.VisibleChildren(folder).Where(n => pattern.IsMatch(n)).Select(n => LayerPath.Combine(folder, n)));
            }
            current = next;
        }
        return current;
    }

    private static SelectedEntry DescribeInView(LayerStackView view, string path, string host, in Libc.Statx status)
    {
        var layer = view.LayerOf(host).TrimEnd('/');
        return Describe(path, layer, host[(layer.Length + 1)..], host, status);
    }

    private static SelectedEntry Describe(string path, string scope, string relative, string host, in Libc.Statx status)
    {
        var mode = FileKind.Permissions(status);
        return FileKind.Of(status) switch
        {
            FileKind.Regular => new SelectedEntry(path, "file", mode, null, new FileToHash(scope, relative, FileIdentity.Of(status))),
            FileKind.Directory => new SelectedEntry(path, "folder", mode, null, null),
            FileKind.Symlink => new SelectedEntry(path, "symlink", null, new FileInfo(host).LinkTarget ?? "", null),
            var other => new SelectedEntry(path, "special:" + (other >> 12).ToString(CultureInfo.InvariantCulture), mode, null, null),
        };
    }

    private async Task<SelectionDigest> DigestAsync(IReadOnlyList<SelectedEntry> entries, string? chmod, CancellationToken cancellationToken)
    {
        uint? forcedMode = chmod is null ? null : ParseMode(chmod);
        var toHash = entries.Where(e => e.File is not null).Select(e => e.File!.Value).ToList();
        var contents = await files.HashAsync(toHash, cancellationToken).ConfigureAwait(false);

        using var total = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var groups = new SortedDictionary<string, IncrementalHash>(StringComparer.Ordinal);
        var tooManyGroups = false;
        var writer = new KeyPartWriter();
        long bytes = 0;
        var next = 0;
        try
        {
            foreach (var entry in entries)
            {
                Digest? content = entry.File is { } file ? contents[next++] : null;
                bytes += entry.File?.Identity.Size ?? 0;
                writer.Clear();
                writer.Group("entry", g => g
                    .Text("path", entry.Path)
                    .Text("type", entry.Type)
                    .Integer("mode", entry.Mode is null ? null : forcedMode ?? entry.Mode)
                    .Digest("content", content)
                    .Text("link", entry.LinkTarget));
                total.AppendData(writer.Written);
                if (tooManyGroups || entry.Path.Length == 0) continue;
                var slash = entry.Path.IndexOf('/');
                var group = slash < 0 ? entry.Path : entry.Path[..slash];
                if (!groups.TryGetValue(group, out var hash))
                {
                    if (groups.Count == SelectionDigest.MaxGroups)
                    {
                        tooManyGroups = true;
                        continue;
                    }
                    groups[group] = hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                }
                hash.AppendData(writer.Written);
            }
            return new SelectionDigest(Digest.FromHash(total.GetHashAndReset()), entries.Count, bytes)
            {
                Groups = tooManyGroups ? [] : groups.Select(g => KeyValuePair.Create(g.Key, Digest.FromHash(g.Value.GetHashAndReset()))).ToEquatableArray(),
            };
        }
        finally
        {
            foreach (var hash in groups.Values) hash.Dispose();
        }
    }

    private static uint ParseMode(string chmod)
    {
        try
        {
            var mode = Convert.ToUInt32(chmod, 8);
            if (mode <= 0xFFF) return mode;
        }
        catch (Exception error) when (error is FormatException or OverflowException or ArgumentException)
        {
        }
        throw new OrchestratorException($"--chmod={chmod} is not an octal file mode (e.g. 0755)");
    }

    /// <summary>One selected entry: its destination-relative path, type, own mode (null for links), link target, and the file to hash.</summary>
    private sealed record SelectedEntry(string Path, string Type, uint? Mode, string? LinkTarget, FileToHash? File)
    {
        public static SelectedEntry SourceFolder { get; } = new("", "source-folder", null, null, null);
    }
}
