namespace Orchestrator.Layers;

/// <summary>
/// Reads an overlayfs upper folder after a step as the list of layer entries it stands for.
/// The upper folder holds exactly what changed, so the cost follows the change, not the rootfs.
/// Overlay's markers become OCI whiteouts: a 0/0 character device or a file carrying
/// <c>user./trusted.overlay.whiteout</c> → <c>.wh.NAME</c>; a directory with
/// <c>user./trusted.overlay.opaque=y</c> → its entry plus <c>.wh..wh..opq</c>. Overlay's own
/// bookkeeping xattrs (origin, impure, uuid) are dropped.
/// </summary>
public static class OverlayDiff
{
    public static IEnumerable<LayerEntry> Enumerate(string upperFolder)
    {
        var walker = new FileTreeWalker();
        foreach (var (relative, hostPath, status) in walker.Walk(upperFolder))
        {
            if (FileKind.IsWhiteoutDevice(status) || (FileKind.Of(status) == FileKind.Regular && IsXattrWhiteout(hostPath)))
            {
                yield return new LayerEntry(relative, LayerEntryKind.Whiteout);
                continue;
            }
            yield return walker.Describe(relative, hostPath, status);
            if (FileKind.IsDirectory(status) && LayerStackView.IsOpaque(hostPath))
                yield return new LayerEntry(relative, LayerEntryKind.OpaqueWhiteout);
        }
    }

    private static bool IsXattrWhiteout(string hostPath) =>
        Libc.GetXattr(hostPath, LayerMarkers.UserWhiteoutXattr) is not null ||
        Libc.GetXattr(hostPath, LayerMarkers.TrustedWhiteoutXattr) is not null;
}
