namespace Orchestrator.Layers;

/// <summary>
/// Names that carry meaning between OCI layer tars, the layer store folders and overlayfs.
/// OCI side: <c>.wh.NAME</c> hides NAME from lower layers, <c>.wh..wh..opq</c> makes its
/// directory opaque. Folder side (what overlayfs mounted with <c>userxattr</c> understands):
/// a 0/0 character device is a whiteout and <c>user.overlay.opaque=y</c> an opaque directory.
/// </summary>
public static class LayerMarkers
{
    public const string WhiteoutPrefix = ".wh.";
    public const string OpaqueWhiteout = ".wh..wh..opq";

    /// <summary>Opaque marker overlayfs reads when mounted with <c>userxattr</c> (inside a user namespace).</summary>
    public const string UserOpaqueXattr = "user.overlay.opaque";

    /// <summary>Opaque marker of a privileged overlay mount (read when diffing an upper folder made elsewhere).</summary>
    public const string TrustedOpaqueXattr = "trusted.overlay.opaque";

    /// <summary>xattr whiteout (Linux 6.7+): a regular file carrying it hides the name.</summary>
    public const string UserWhiteoutXattr = "user.overlay.whiteout";

    public const string TrustedWhiteoutXattr = "trusted.overlay.whiteout";

    /// <summary>
    /// Intended owner "uid:gid" of a file or directory whose owner could not be applied because
    /// the process may not chown (unprivileged). The layer writer reads it back.
    /// </summary>
    public const string OwnerXattr = "user.orchestrator.owner";

    /// <summary>xattrs that belong to the machinery (overlay state, our owner record), never to image content.</summary>
    public static bool IsInternalXattr(string name) =>
        name.StartsWith("user.overlay.", StringComparison.Ordinal) ||
        name.StartsWith("trusted.overlay.", StringComparison.Ordinal) ||
        name == OwnerXattr;
}
