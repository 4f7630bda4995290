using System.Runtime.InteropServices;

namespace Orchestrator.Layers;

/// <summary>
/// The few libc calls .NET does not expose: ownership, device nodes, extended attributes and
/// lstat-like metadata (uid, gid, inode, rdev). statx is used because its layout is the same on
/// every Linux architecture.
/// </summary>
internal static class Libc
{
    public const int ENOENT = 2;
    public const int EPERM = 1;
    public const int EINVAL = 22;
    public const int EACCES = 13;
    public const int ENODATA = 61;
    public const int ENOTSUP = 95;
    public const int ERANGE = 34;

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;

    /// <summary>STATX_BTIME: the birth time, where the filesystem keeps one (tells a re-created inode from a reused number).</summary>
    public const uint StatxBirthTime = 0x800;

    [StructLayout(LayoutKind.Sequential)]
    public struct StatxTimestamp
    {
        public long Seconds;
        public uint Nanoseconds;
        public int Reserved;
    }

    /// <summary>struct statx; the kernel's size is 256 bytes (the tail is reserved).</summary>
    [StructLayout(LayoutKind.Sequential, Size = 256)]
    public struct Statx
    {
        public uint Mask;
        public uint BlockSize;
        public ulong Attributes;
        public uint LinkCount;
        public uint Uid;
        public uint Gid;
        public ushort Mode;
        public ushort Spare0;
        public ulong Inode;
        public ulong Size;
        public ulong Blocks;
        public ulong AttributesMask;
        public StatxTimestamp AccessTime;
        public StatxTimestamp BirthTime;
        public StatxTimestamp ChangeTime;
        public StatxTimestamp ModificationTime;
        public uint RdevMajor;
        public uint RdevMinor;
        public uint DevMajor;
        public uint DevMinor;
        public ulong MountId;
        public uint DioMemAlign;
        public uint DioOffsetAlign;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", SetLastError = true, EntryPoint = "statx")]
    private static extern int StatxNative(int dirFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, out Statx buffer);

    [DllImport("libc", SetLastError = true, EntryPoint = "realpath")]
    private static extern IntPtr RealPathNative([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport("libc", EntryPoint = "free")]
    private static extern void FreeNative(IntPtr pointer);

    [DllImport("libc", SetLastError = true, EntryPoint = "lchown")]
    private static extern int LchownNative([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint owner, uint group);

    [DllImport("libc", SetLastError = true, EntryPoint = "mknod")]
    private static extern int MknodNative([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode, ulong device);

    [DllImport("libc", SetLastError = true, EntryPoint = "lsetxattr")]
    private static extern int LsetxattrNative([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, byte[] value, nuint size, int flags);

    [DllImport("libc", SetLastError = true, EntryPoint = "lgetxattr")]
    private static extern nint LgetxattrNative([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, byte[]? value, nuint size);

    [DllImport("libc", SetLastError = true, EntryPoint = "llistxattr")]
    private static extern nint LlistxattrNative([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[]? list, nuint size);

    [DllImport("libc", SetLastError = true, EntryPoint = "utimensat")]
    private static extern int UtimensatNative(int dirFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, TimeSpec[] times, int flags);

    [DllImport("libc", SetLastError = true, EntryPoint = "link")]
    private static extern int LinkNative([MarshalAs(UnmanagedType.LPUTF8Str)] string existing, [MarshalAs(UnmanagedType.LPUTF8Str)] string created);

    [DllImport("libc", SetLastError = true, EntryPoint = "chmod")]
    private static extern int ChmodNative([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);

    [DllImport("libc", SetLastError = true, EntryPoint = "lremovexattr")]
    private static extern int LremovexattrNative([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    [DllImport("libc", EntryPoint = "geteuid")]
    public static extern uint GetEffectiveUserId();

    [DllImport("libc", EntryPoint = "getegid")]
    public static extern uint GetEffectiveGroupId();

    /// <summary>lstat: metadata of the path itself (a symlink is not followed). Null when it does not exist.</summary>
    public static Statx? LinkStatus(string path)
    {
        if (StatxNative(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats | StatxBirthTime, out var buffer) == 0) return buffer;
        var errno = Marshal.GetLastPInvokeError();
        if (errno == ENOENT || errno == 20 /* ENOTDIR */) return null;
        throw Failure("statx", path, errno);
    }

    /// <summary>Returns the errno (0 on success) so callers can decide whether lacking privilege is fatal.</summary>
    public static int TryLchown(string path, uint uid, uint gid) =>
        LchownNative(path, uid, gid) == 0 ? 0 : Marshal.GetLastPInvokeError();

    public static void HardLink(string existing, string created)
    {
        if (LinkNative(existing, created) != 0) throw Failure("link", created, Marshal.GetLastPInvokeError());
    }

    /// <summary>chmod with all twelve permission bits (setuid, setgid, sticky included). Follows symlinks: never call it on one.</summary>
    /// <summary>The path with every symbolic link resolved, as the mount table writes it; null when it cannot be resolved.</summary>
    public static string? RealPath(string path)
    {
        var resolved = RealPathNative(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero) return null;
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            FreeNative(resolved);
        }
    }

    public static void Chmod(string path, uint mode)
    {
        if (ChmodNative(path, mode & 0xFFFu) != 0) throw Failure("chmod", path, Marshal.GetLastPInvokeError());
    }

    public static int TryMknod(string path, uint mode, uint major, uint minor) =>
        MknodNative(path, mode, MakeDevice(major, minor)) == 0 ? 0 : Marshal.GetLastPInvokeError();

    public static int TrySetXattr(string path, string name, byte[] value) =>
        LsetxattrNative(path, name, value, (nuint)value.Length, 0) == 0 ? 0 : Marshal.GetLastPInvokeError();

    public static int TryRemoveXattr(string path, string name) =>
        LremovexattrNative(path, name) == 0 ? 0 : Marshal.GetLastPInvokeError();

    public static byte[]? GetXattr(string path, string name)
    {
        while (true)
        {
            var size = LgetxattrNative(path, name, null, 0);
            if (size < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno is ENODATA or ENOTSUP) return null;
                throw Failure("lgetxattr", path, errno);
            }
            var value = new byte[size];
            var read = LgetxattrNative(path, name, value, (nuint)value.Length);
            if (read >= 0) return read == size ? value : value[..(int)read];
            if (Marshal.GetLastPInvokeError() != ERANGE) return null;
        }
    }

    public static IReadOnlyList<string> ListXattrs(string path)
    {
        while (true)
        {
            var size = LlistxattrNative(path, null, 0);
            if (size < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == ENOTSUP) return [];
                throw Failure("llistxattr", path, errno);
            }
            if (size == 0) return [];
            var buffer = new byte[size];
            var read = LlistxattrNative(path, buffer, (nuint)buffer.Length);
            if (read < 0)
            {
                if (Marshal.GetLastPInvokeError() == ERANGE) continue;
                throw Failure("llistxattr", path, Marshal.GetLastPInvokeError());
            }
            return System.Text.Encoding.UTF8.GetString(buffer, 0, (int)read)
                .Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
    }

    /// <summary>Sets atime and mtime of the path itself (symlinks included).</summary>
    public static void SetTimes(string path, DateTimeOffset modified)
    {
        var seconds = modified.ToUnixTimeSeconds();
        var nanos = (modified.UtcTicks % TimeSpan.TicksPerSecond) * 100;
        var times = new[] { new TimeSpec { Seconds = seconds, Nanoseconds = nanos }, new TimeSpec { Seconds = seconds, Nanoseconds = nanos } };
        if (UtimensatNative(AtFdCwd, path, times, AtSymlinkNoFollow) != 0)
            throw Failure("utimensat", path, Marshal.GetLastPInvokeError());
    }

    public static IOException Failure(string call, string path, int errno) =>
        new($"{call} '{path}' failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");

    private static ulong MakeDevice(uint major, uint minor) =>
        ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) |
        ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);
}
