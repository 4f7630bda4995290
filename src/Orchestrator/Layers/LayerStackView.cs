namespace Orchestrator.Layers;

/// <summary>
/// Read-only lookup through stacked layer folders as overlayfs would present them, without
/// mounting: the top-most layer holding a path wins; a whiteout device or a non-directory on the
/// way hides it; an opaque directory hides everything below it in lower layers.
/// </summary>
public sealed class LayerStackView
{
    private readonly IReadOnlyList<string> _layersTopFirst;

    /// <param name="layersTopFirst">Layer folders, the top-most (last applied) first.</param>
    public LayerStackView(IReadOnlyList<string> layersTopFirst) => _layersTopFirst = layersTopFirst;

    /// <summary>Host path of the entry visible at <paramref name="relativePath"/>, or null when absent or hidden.</summary>
    public string? Resolve(string relativePath)
    {
        var parts = relativePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        foreach (var layer in _layersTopFirst)
        {
            var current = layer;
            var stopBelow = false;
            for (var i = 0; i < parts.Length; i++)
            {
                current = Path.Combine(current, parts[i]);
                var status = Libc.LinkStatus(current);
                if (status is null) break;
                if (FileKind.IsWhiteoutDevice(status.Value)) return null;
                if (i == parts.Length - 1) return current;
                if (!FileKind.IsDirectory(status.Value)) return null;
                if (IsOpaque(current)) stopBelow = true;
            }
            if (stopBelow) return null;
        }
        return null;
    }

    /// <summary>
    /// Names visible in the folder at <paramref name="relativeDirectory"/> (a resolved path: no symlink on the way is
    /// followed), merged over the layers as overlayfs merges them, in ordinal order. Whiteouts and names hidden by an
    /// upper layer are left out; an absent or hidden folder has no children.
    /// </summary>
    public IReadOnlyList<string> VisibleChildren(string relativeDirectory)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var layer in _layersTopFirst)
        {
            var folder = LayerPath.OnHost(layer, relativeDirectory);
            if (Libc.LinkStatus(folder) is not { } status) continue;
            if (!FileKind.IsDirectory(status)) break; // a non-folder here hides every lower layer's folder
            foreach (var entry in Directory.EnumerateFileSystemEntries(folder)) names.Add(Path.GetFileName(entry));
            if (IsOpaque(folder)) break;
        }
        // Resolve applies every hiding rule (whiteouts, opaque or replaced parents), so a name is kept only when visible.
        return names.Where(name => Resolve(LayerPath.Combine(relativeDirectory, name)) is not null).ToList();
    }

    /// <summary>The layer folder that holds the visible entry at <paramref name="hostPath"/> (a path <see cref="Resolve"/> returned).</summary>
    public string LayerOf(string hostPath) =>
        _layersTopFirst.FirstOrDefault(layer => hostPath.StartsWith(layer.TrimEnd('/') + "/", StringComparison.Ordinal))
        ?? throw new ArgumentException($"'{hostPath}' is not inside a layer of this view", nameof(hostPath));

    /// <summary>
    /// <paramref name="path"/> (absolute or relative) with every symlink of the image followed inside the image root,
    /// as a relative path (empty for the root); see <see cref="ImagePathResolver"/>.
    /// </summary>
    public string ResolveLinks(string path, bool followFinal = true) =>
        ImagePathResolver.Resolve(path, relative => Resolve(relative) is { } host ? ImagePathResolver.ReadLink(host) : null, followFinal);

    /// <summary>Host path of the entry a process in the image reaches at <paramref name="path"/> (symlinks followed), or null.</summary>
    public string? Follow(string path) => Resolve(ResolveLinks(path));

    internal static bool IsOpaque(string directory)
    {
        var value = Libc.GetXattr(directory, LayerMarkers.UserOpaqueXattr) ?? Libc.GetXattr(directory, LayerMarkers.TrustedOpaqueXattr);
        return value is [(byte)'y'];
    }
}
