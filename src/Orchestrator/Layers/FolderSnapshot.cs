namespace Orchestrator.Layers;

/// <summary>
/// Entries of a layer made from a plain folder (a COPY result): the folder's content placed under
/// <c>destination</c>, preceded by the destination's own directories (0755, like Docker creates them).
/// </summary>
public static class FolderSnapshot
{
    /// <param name="destination">Absolute or relative path in the image, e.g. <c>/app</c>.</param>
    /// <param name="owner">Owner for every entry (COPY --chown); null keeps the owners on disk.</param>
    public static IEnumerable<LayerEntry> Enumerate(string folder, string destination, (int Uid, int Gid)? owner = null)
    {
        var prefix = LayerPath.Normalize(destination.TrimStart('/'), "destination " + destination);
        var walker = new FileTreeWalker { OwnerOverride = owner };
        var soFar = "";
        foreach (var part in prefix.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            soFar = LayerPath.Combine(soFar, part);
            yield return new LayerEntry(soFar, LayerEntryKind.Directory) { Mode = 0x1ED /* 0755 */, Uid = owner?.Uid ?? 0, Gid = owner?.Gid ?? 0 };
        }
        foreach (var (relative, hostPath, status) in walker.Walk(Path.GetFullPath(folder), prefix))
            yield return walker.Describe(relative, hostPath, status);
    }
}
