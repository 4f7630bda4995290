namespace Orchestrator.Layers;

/// <summary>File types as encoded in st_mode, and the small predicates layers need.</summary>
internal static class FileKind
{
    public const uint TypeMask = 0xF000; // S_IFMT
    public const uint Fifo = 0x1000;
    public const uint CharDevice = 0x2000;
    public const uint Directory = 0x4000;
    public const uint BlockDevice = 0x6000;
    public const uint Regular = 0x8000;
    public const uint Symlink = 0xA000;
    public const uint Socket = 0xC000;

    public static uint Of(in Libc.Statx status) => status.Mode & TypeMask;

    public static bool IsDirectory(in Libc.Statx status) => Of(status) == Directory;

    public static bool IsSymlink(in Libc.Statx status) => Of(status) == Symlink;

    /// <summary>overlayfs whiteout: a character device with device number 0/0.</summary>
    public static bool IsWhiteoutDevice(in Libc.Statx status) =>
        Of(status) == CharDevice && status.RdevMajor == 0 && status.RdevMinor == 0;

    /// <summary>Permission bits including setuid, setgid and sticky.</summary>
    public static uint Permissions(in Libc.Statx status) => status.Mode & 0xFFFu;
}
