using Orchestrator.Layers;

namespace Orchestrator.Caching;

/// <summary>
/// The stat fields that say a file's content may have changed since it was hashed: any write changes the size,
/// the modification time or (always, as no process can set it) the change time; a replaced file has another
/// inode; another filesystem another device. Times in nanoseconds since the Unix epoch.
/// </summary>
public readonly record struct FileIdentity(long Size, long ModifiedNanoseconds, long ChangedNanoseconds, ulong Inode, ulong Device)
{
    internal static FileIdentity Of(in Libc.Statx status) => new(
        (long)status.Size,
        Nanoseconds(status.ModificationTime),
        Nanoseconds(status.ChangeTime),
        status.Inode,
        ((ulong)status.DevMajor << 32) | status.DevMinor);

    private static long Nanoseconds(Libc.StatxTimestamp time) => time.Seconds * 1_000_000_000L + time.Nanoseconds;
}
