namespace Orchestrator.Layers;

/// <summary>
/// Resolves a path inside an image the way a process chrooted into that image would: symlinks are
/// followed (absolute targets start again at the image root, relative ones at the link's folder),
/// <c>..</c> never climbs above the root, and missing elements are kept as written so a path that
/// does not exist yet resolves to where it would be created. This is what Docker's builder does for
/// every path an instruction writes at (COPY/ADD destinations, WORKDIR, mount targets): on a
/// merged-/usr image <c>/bin/tool</c> is <c>/usr/bin/tool</c>. The one home of this rule: the layer
/// stack view and the flattened root of the chroot fallback only say what a path is.
/// </summary>
public static class ImagePathResolver
{
    /// <summary>Links followed in one resolution before it counts as a loop (Linux allows 40 per lookup; Docker's builder 255).</summary>
    public const int MaxLinks = 255;

    /// <summary>
    /// The resolved path, relative to the image root without leading '/' (empty for the root itself).
    /// </summary>
    /// <param name="path">Absolute or root-relative path inside the image.</param>
    /// <param name="readLink">For a resolved relative path: the symlink's target when the entry there is a symlink, else null (absent entries too).</param>
    /// <param name="followFinal">Whether a symlink at the last element is followed as well (as stat does) or kept (as lstat does).</param>
    public static string Resolve(string path, Func<string, string?> readLink, bool followFinal = true)
    {
        var resolved = new List<string>();
        var pending = new LinkedList<string>(Split(path));
        var links = 0;
        while (pending.First is { } first)
        {
            var part = first.Value;
            pending.RemoveFirst();
            if (part == ".") continue;
            if (part == "..")
            {
                if (resolved.Count > 0) resolved.RemoveAt(resolved.Count - 1);
                continue;
            }
            resolved.Add(part);
            if (pending.Count == 0 && !followFinal) break;
            if (readLink(string.Join('/', resolved)) is not { } target) continue;
            if (++links > MaxLinks)
                throw new OrchestratorException($"'/{string.Join('/', Split(path))}' in the image goes through more than {MaxLinks} symlinks (a loop?); fix the links or choose another path.");
            resolved.RemoveAt(resolved.Count - 1);
            if (target.StartsWith('/')) resolved.Clear();
            foreach (var segment in Split(target).Reverse()) pending.AddFirst(segment);
        }
        return string.Join('/', resolved);
    }

    /// <summary>Resolves against a plain folder that holds an image root (the chroot fallback's flattened root).</summary>
    public static string ResolveInFolder(string root, string path, bool followFinal = true) =>
        Resolve(path, relative => ReadLink(LayerPath.OnHost(root, relative)), followFinal);

    /// <summary>The target of the symlink at <paramref name="hostPath"/>, or null when it is no symlink or absent.</summary>
    public static string? ReadLink(string hostPath) =>
        Libc.LinkStatus(hostPath) is { } status && FileKind.IsSymlink(status) ? new FileInfo(hostPath).LinkTarget : null;

    private static string[] Split(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries);
}
