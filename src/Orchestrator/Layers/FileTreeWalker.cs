using System.Text;

namespace Orchestrator.Layers;

/// <summary>
/// Walks a folder depth-first with children in ordinal name order (a parent always precedes its
/// children; the order never depends on the filesystem) and describes each entry as a
/// <see cref="LayerEntry"/>. Owner: taken from disk when the process is root; a root owner (or any
/// owner of an unprivileged process) gives way to a <see cref="LayerMarkers.OwnerXattr"/> record, else
/// root (an unprivileged build maps its own user to root inside the sandbox).
/// </summary>
internal sealed class FileTreeWalker
{
    private readonly bool _ownersFromDisk = Libc.GetEffectiveUserId() == 0;

    public (int Uid, int Gid)? OwnerOverride { get; init; }

    public IEnumerable<(string RelativePath, string HostPath, Libc.Statx Status)> Walk(string root, string relativePrefix = "")
    {
        var children = Directory.EnumerateFileSystemEntries(root).Select(Path.GetFileName).OfType<string>().ToList();
        children.Sort(StringComparer.Ordinal);
        foreach (var name in children)
        {
            var hostPath = Path.Combine(root, name);
            var relative = LayerPath.Combine(relativePrefix, name);
            if (Libc.LinkStatus(hostPath) is not { } status) continue; // vanished meanwhile
            yield return (relative, hostPath, status);
            if (FileKind.IsDirectory(status))
                foreach (var child in Walk(hostPath, relative))
                    yield return child;
        }
    }

    public LayerEntry Describe(string relativePath, string hostPath, in Libc.Statx status)
    {
        var kind = FileKind.Of(status) switch
        {
            FileKind.Directory => LayerEntryKind.Directory,
            FileKind.Regular => LayerEntryKind.File,
            FileKind.Symlink => LayerEntryKind.Symlink,
            FileKind.CharDevice => LayerEntryKind.CharDevice,
            FileKind.BlockDevice => LayerEntryKind.BlockDevice,
            FileKind.Fifo => LayerEntryKind.Fifo,
            _ => throw new OrchestratorException($"'{hostPath}' is a socket or an unknown file type, which a layer cannot hold. Remove it in the same step that created it."),
        };
        var (uid, gid) = OwnerOf(hostPath, status, kind);
        return new LayerEntry(relativePath, kind)
        {
            SourcePath = hostPath,
            Mode = FileKind.Permissions(status),
            Uid = uid,
            Gid = gid,
            Modified = DateTimeOffset.FromUnixTimeSeconds(status.ModificationTime.Seconds),
            LinkTarget = kind == LayerEntryKind.Symlink ? new FileInfo(hostPath).LinkTarget : null,
            Size = kind == LayerEntryKind.File ? (long)status.Size : 0,
            DeviceMajor = status.RdevMajor,
            DeviceMinor = status.RdevMinor,
            Xattrs = kind == LayerEntryKind.Symlink ? new Dictionary<string, string>() : ContentXattrs(hostPath),
            InodeKey = kind == LayerEntryKind.File && status.LinkCount > 1 ? (((ulong)status.DevMajor << 32) | status.DevMinor, status.Inode) : null,
        };
    }

    private (int Uid, int Gid) OwnerOf(string hostPath, in Libc.Statx status, LayerEntryKind kind)
    {
        if (OwnerOverride is { } forced) return forced;
        // Root owners on disk may stand for a recorded owner: the process could not chown (unprivileged), or the
        // owner lies outside the id range of the user namespace it runs in.
        var onDisk = _ownersFromDisk ? ((int)status.Uid, (int)status.Gid) : (0, 0);
        if (onDisk == (0, 0) && kind is LayerEntryKind.File or LayerEntryKind.Directory &&
            Libc.GetXattr(hostPath, LayerMarkers.OwnerXattr) is { } record &&
            Encoding.ASCII.GetString(record).Split(':') is [var u, var g] &&
            int.TryParse(u, out var uid) && int.TryParse(g, out var gid))
            return (uid, gid);
        return onDisk;
    }

    private static Dictionary<string, string> ContentXattrs(string hostPath)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in Libc.ListXattrs(hostPath))
        {
            if (LayerMarkers.IsInternalXattr(name)) continue;
            if (Libc.GetXattr(hostPath, name) is { } value) result[name] = Encoding.UTF8.GetString(value);
        }
        return result;
    }
}
