namespace Orchestrator.Layers;

public enum LayerEntryKind
{
    File,
    Directory,
    Symlink,
    HardLink,
    /// <summary>OCI <c>.wh.NAME</c>: hides NAME of lower layers. <see cref="LayerEntry.Path"/> is the hidden path.</summary>
    Whiteout,
    /// <summary>OCI <c>.wh..wh..opq</c>: the directory at <see cref="LayerEntry.Path"/> hides all lower content.</summary>
    OpaqueWhiteout,
    CharDevice,
    BlockDevice,
    Fifo,
}

/// <summary>
/// One entry of a layer about to be written, with the metadata the image will carry (intended
/// owner, not necessarily the owner on disk). <see cref="Path"/> is relative, forward slashes.
/// </summary>
public sealed record LayerEntry(string Path, LayerEntryKind Kind)
{
    /// <summary>File on disk holding the content (regular files).</summary>
    public string? SourcePath { get; init; }

    /// <summary>Permission bits including setuid, setgid and sticky.</summary>
    public uint Mode { get; init; }

    public int Uid { get; init; }

    public int Gid { get; init; }

    public DateTimeOffset Modified { get; init; } = DateTimeOffset.UnixEpoch;

    /// <summary>Symlink target as stored, or the layer path of the first name of a hardlinked file.</summary>
    public string? LinkTarget { get; init; }

    public long Size { get; init; }

    public uint DeviceMajor { get; init; }

    public uint DeviceMinor { get; init; }

    public IReadOnlyDictionary<string, string> Xattrs { get; init; } = new Dictionary<string, string>();

    /// <summary>Identity of the inode, so several names of one file become one file plus hardlinks.</summary>
    internal (ulong Device, ulong Inode)? InodeKey { get; init; }
}
