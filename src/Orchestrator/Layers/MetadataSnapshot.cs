

namespace Orchestrator.Layers;

/// <summary>
/// The fallback snapshotter for places without overlayfs (an unprivileged pod): records every
/// path's metadata before a step and, after it, turns the differences into an overlay-style
/// upper folder (changed entries copied, deletions as 0/0 whiteout devices, replaced directories
/// opaque when they were made anew (new inode, or new birth time for a reused inode number), else whiteouts of what disappeared), so the rest of the pipeline (<see cref="OverlayDiff"/>, <see cref="LayerWriter"/>)
/// is the same for both snapshotters. No content is hashed: a change shows in size, mtime,
/// ctime or inode, and ctime cannot be set back by the step. A ctime that moved only because
/// the file gained or lost a name (link count) is not a change of the file, as overlay would not
/// copy it up either. Changed names of one inode stay hardlinked in the upper folder, as overlay
/// leaves them. The cost grows with the rootfs size (one lstat per path), which is why overlay is preferred.
/// </summary>
public sealed class MetadataSnapshot
{
    private readonly record struct Facts(uint Mode, uint Uid, uint Gid, ulong Size, long MtimeSeconds, uint MtimeNanos, long CtimeSeconds, uint CtimeNanos, ulong Inode, uint Links, long BirthSeconds, uint BirthNanos);

    private readonly Dictionary<string, Facts> _before;
    private readonly string _root;

    private MetadataSnapshot(string root, Dictionary<string, Facts> before)
    {
        _root = root;
        _before = before;
    }

    public int Count => _before.Count;

    public static MetadataSnapshot Capture(string root)
    {
        root = Path.GetFullPath(root);
        var facts = new Dictionary<string, Facts>(StringComparer.Ordinal);
        foreach (var (relative, _, status) in new FileTreeWalker().Walk(root))
            facts[relative] = Of(status);
        return new MetadataSnapshot(root, facts);
    }

    /// <summary>
    /// Writes what changed since <see cref="Capture"/> into <paramref name="upperFolder"/> in the
    /// form overlayfs would have left it. Returns the number of entries written.
    /// </summary>
    /// <param name="ignore">Paths (relative) that belong to the machinery, not the step (e.g. an injected secret).</param>
    public int WriteChangesAsUpper(string upperFolder, IReadOnlySet<string>? ignore = null)
    {
        Directory.CreateDirectory(upperFolder);
        var written = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var replacedDirectories = new List<string>();
        var privileged = Libc.GetEffectiveUserId() == 0;
        var firstNames = new Dictionary<(uint, uint, ulong), string>();
        foreach (var (relative, hostPath, status) in new FileTreeWalker().Walk(_root))
        {
            seen.Add(relative);
            if (ignore?.Contains(relative) == true) continue;
            var now = Of(status);
            var existed = _before.TryGetValue(relative, out var then);
            if (existed && (then == now || OnlyLinkCountChanged(then, now))) continue;
            if (existed && FileKind.IsDirectory(status) && (then.Mode & FileKind.TypeMask) == FileKind.Directory && !Recreated(then, now) && then.Mode == now.Mode && then.Uid == now.Uid && then.Gid == now.Gid)
                continue; // only its entries changed: they are handled on their own; the directory's mtime alone is not a change worth a layer entry
            var target = Path.Combine(upperFolder, relative);
            EnsureParents(upperFolder, relative, privileged);
            if (FileKind.Of(status) == FileKind.Regular && status.LinkCount > 1)
            {
                var inode = (status.DevMajor, status.DevMinor, status.Inode);
                if (firstNames.TryGetValue(inode, out var first))
                {
                    Libc.HardLink(first, target);
                    written++;
                    continue;
                }
                firstNames[inode] = target;
            }
            Copy(hostPath, target, status, privileged);
            written++;
            if (FileKind.IsDirectory(status) && existed && Recreated(then, now))
            {
                // A directory deleted and re-created: nothing of the old one may shine through.
                Libc.TrySetXattr(target, LayerMarkers.UserOpaqueXattr, "y"u8.ToArray());
                replacedDirectories.Add(relative + "/");
            }
        }
        foreach (var gone in _before.Keys.Where(k => !seen.Contains(k)).Order(StringComparer.Ordinal))
        {
            if (ignore?.Contains(gone) == true) continue;
            var parent = LayerPath.Parent(gone);
            // Only the top-most deleted path needs a whiteout, and none below a replaced directory.
            if (parent.Length > 0 && !seen.Contains(parent)) continue;
            if (replacedDirectories.Any(d => gone.StartsWith(d, StringComparison.Ordinal))) continue;
            EnsureParents(upperFolder, gone, privileged);
            var target = Path.Combine(upperFolder, gone);
            var errno = Libc.TryMknod(target, FileKind.CharDevice, 0, 0);
            if (errno != 0) throw new OrchestratorException($"could not record the deletion of '/{gone}': {Libc.Failure("mknod", target, errno).Message}. Linux 5.8 or later is needed.");
            written++;
        }
        return written;
    }

    private static Facts Of(in Libc.Statx s) =>
        new(s.Mode, s.Uid, s.Gid, FileKind.IsDirectory(s) ? 0 : s.Size, s.ModificationTime.Seconds, s.ModificationTime.Nanoseconds, s.ChangeTime.Seconds, s.ChangeTime.Nanoseconds, s.Inode, FileKind.IsDirectory(s) ? 0 : s.LinkCount,
            BirthKnown(s) ? s.BirthTime.Seconds : 0, BirthKnown(s) ? s.BirthTime.Nanoseconds : 0);

    private static bool BirthKnown(in Libc.Statx s) => (s.Mask & Libc.StatxBirthTime) != 0;

    /// <summary>
    /// Deleted and made again: a new inode, or the same inode number given out again (ext4 and tmpfs reuse
    /// freed numbers at once), which only the birth time tells apart where the filesystem records one.
    /// </summary>
    private static bool Recreated(in Facts then, in Facts now) =>
        then.Inode != now.Inode || then.BirthSeconds != now.BirthSeconds || then.BirthNanos != now.BirthNanos;

    /// <summary>Same file, same metadata; only a name was added or removed elsewhere (ctime moved with the link count).</summary>
    private static bool OnlyLinkCountChanged(in Facts then, in Facts now) =>
        then.Links != now.Links &&
        then with { CtimeSeconds = now.CtimeSeconds, CtimeNanos = now.CtimeNanos, Links = now.Links } == now;

    /// <summary>Parents in the upper folder carry the rootfs's metadata, as overlay's copy-up would.</summary>
    private void EnsureParents(string upperFolder, string relative, bool privileged)
    {
        var parent = LayerPath.Parent(relative);
        if (parent.Length == 0) return;
        var target = Path.Combine(upperFolder, parent);
        if (Directory.Exists(target)) return;
        EnsureParents(upperFolder, parent, privileged);
        var source = Path.Combine(_root, parent);
        Copy(source, target, Libc.LinkStatus(source) ?? throw new IOException($"'{source}' vanished"), privileged);
    }

    private static void Copy(string source, string target, in Libc.Statx status, bool privileged)
    {
        switch (FileKind.Of(status))
        {
            case FileKind.Directory:
                Directory.CreateDirectory(target);
                break;
            case FileKind.Regular:
                File.Copy(source, target, overwrite: true);
                break;
            case FileKind.Symlink:
                File.CreateSymbolicLink(target, new FileInfo(source).LinkTarget!);
                break;
            default:
                var errno = Libc.TryMknod(target, FileKind.Of(status) | 0600, status.RdevMajor, status.RdevMinor);
                if (errno != 0) throw new OrchestratorException($"could not copy special file '{source}' into the step's changes: {Libc.Failure("mknod", target, errno).Message}.");
                break;
        }
        if (privileged) Libc.TryLchown(target, status.Uid, status.Gid);
        if (!FileKind.IsSymlink(status))
        {
            Libc.Chmod(target, FileKind.Permissions(status));
            if (!privileged && Libc.GetXattr(source, LayerMarkers.OwnerXattr) is { } owner) Libc.TrySetXattr(target, LayerMarkers.OwnerXattr, owner);
            foreach (var name in Libc.ListXattrs(source))
                if (!LayerMarkers.IsInternalXattr(name) && Libc.GetXattr(source, name) is { } value) Libc.TrySetXattr(target, name, value);
        }
        Libc.SetTimes(target, DateTimeOffset.FromUnixTimeSeconds(status.ModificationTime.Seconds));
    }
}
