using System.Security.Cryptography;
using Orchestrator.Layers;
using Orchestrator.Testing;

using System.Runtime.Versioning;

namespace Orchestrator.Tests.Conformance;

/// <summary>
/// Every entry of an unpacked root filesystem (umoci's bundle/rootfs) keyed by its absolute image path.
/// Owners come from the <c>user.rootlesscontainers</c> xattr that <c>umoci unpack --rootless</c> writes when it
/// cannot chown (the rootlesscontainers.io record: protobuf fields 1 = uid, 2 = gid, absent = 0), else
/// from the file itself (a privileged unpack keeps real owners).
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class RootfsSnapshot
{
    private const string RootlessOwnerXattr = "user.rootlesscontainers";

    public RootfsSnapshot(IReadOnlyDictionary<string, RootfsEntry> entries) => Entries = entries;

    public IReadOnlyDictionary<string, RootfsEntry> Entries { get; }

    /// <summary>
    /// Unpacks the image tagged <c>latest</c> of an OCI layout with <c>umoci raw unpack --rootless</c> (next to the layout)
    /// and reads its root filesystem. The raw form writes no runtime config, which <c>umoci unpack</c> would fail to make
    /// for an image whose USER names a user its /etc/passwd lacks (legal in a Dockerfile: USER testuser:testgroup).
    /// </summary>
    /// <summary>Where <see cref="UnpackAsync"/> unpacks the root filesystem of the image in <paramref name="layout"/>.</summary>
    public static string RootfsFolder(string layout) => layout + "-rootfs";

    public static async Task<RootfsSnapshot> UnpackAsync(string layout)
    {
        var rootfs = RootfsFolder(layout);
        (await ExternalTool.RunAsync("umoci", ["raw", "unpack", "--rootless", "--image", $"{layout}:latest", rootfs], TimeSpan.FromMinutes(5))).EnsureSuccess();
        return Read(rootfs);
    }

    /// <summary>
    /// What an image changed in its base's root filesystem: every entry the base lacks or holds differently (a file whose
    /// bytes are the base's own records <see cref="RootfsEntry.SameContentAsBase"/> instead of size and hash), and a
    /// <see cref="RootfsEntry.RemovedType"/> entry for every path of the base the image lacks. Entries equal to the base's
    /// are left out, so the set stays the same on a base of newer package versions as long as the build does the same.
    /// </summary>
    public RootfsSnapshot ChangesFrom(RootfsSnapshot baseRootfs)
    {
        var changes = new SortedDictionary<string, RootfsEntry>(StringComparer.Ordinal);
        foreach (var (path, entry) in Entries)
        {
            if (!baseRootfs.Entries.TryGetValue(path, out var before)) changes[path] = entry;
            else if (entry != before)
                changes[path] = entry.Type == "file" && before.Type == "file" && entry.ContentHash == before.ContentHash
                    ? entry with { Size = 0, ContentHash = RootfsEntry.SameContentAsBase }
                    : entry;
        }
        foreach (var path in baseRootfs.Entries.Keys.Where(p => !Entries.ContainsKey(p))) changes[path] = RootfsEntry.Removed(path);
        return new RootfsSnapshot(changes);
    }

    /// <summary>The entries without what varies with package versions: paths, types, modes and owners only.</summary>
    public RootfsSnapshot ShapeOnly() =>
        new(Entries.ToDictionary(e => e.Key, e => e.Value with { Size = 0, ContentHash = null, LinkTarget = null, HardlinkGroup = null }, StringComparer.Ordinal));

    public RootfsSnapshot Where(Func<RootfsEntry, bool> keep) =>
        new(new SortedDictionary<string, RootfsEntry>(Entries.Where(e => keep(e.Value)).ToDictionary(e => e.Key, e => e.Value), StringComparer.Ordinal));

    /// <summary>
    /// Files that hold the day they were written: the shadow files' third field is the day of the last password change,
    /// which useradd and the passwd package set to the day of the build. Their hash leaves that field out, so a golden
    /// made on one day still compares on the next; every other byte counts.
    /// </summary>
    public static readonly IReadOnlySet<string> DatedFiles = new HashSet<string>(StringComparer.Ordinal) { "/etc/shadow", "/etc/shadow-" };

    private static string FileHash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>The hash of a shadow file with each line's day of last change (its third field, when a number) emptied.</summary>
    internal static string UndatedHash(string path)
    {
        var lines = File.ReadAllText(path).Split('\n').Select(line =>
        {
            var fields = line.Split(':');
            if (fields.Length > 2 && fields[2].Length > 0 && fields[2].All(char.IsAsciiDigit)) fields[2] = "";
            return string.Join(':', fields);
        });
        return Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join('\n', lines))));
    }

    public static RootfsSnapshot Read(string rootfs)
    {
        var root = System.IO.Path.GetFullPath(rootfs);
        var entries = new SortedDictionary<string, RootfsEntry>(StringComparer.Ordinal);
        var inodes = new Dictionary<ulong, List<string>>();
        var selfOwner = (Libc.GetEffectiveUserId(), Libc.GetEffectiveGroupId());
        var rootless = Libc.GetEffectiveUserId() != 0;
        foreach (var host in Walk(root))
        {
            var path = "/" + System.IO.Path.GetRelativePath(root, host).Replace('\\', '/');
            var status = Libc.LinkStatus(host) ?? throw new IOException($"{host} vanished while being read");
            var type = FileKind.Of(status) switch
            {
                FileKind.Directory => "dir",
                FileKind.Regular => "file",
                FileKind.Symlink => "symlink",
                FileKind.CharDevice => "char",
                FileKind.BlockDevice => "block",
                FileKind.Fifo => "fifo",
                _ => "other",
            };
            var (uid, gid) = Owner(host, type, status, rootless, selfOwner);
            string? hash = null;
            if (type == "file")
            {
                hash = DatedFiles.Contains(path) ? UndatedHash(host) : FileHash(host);
                if (status.LinkCount > 1)
                {
                    if (!inodes.TryGetValue(status.Inode, out var names)) inodes[status.Inode] = names = [];
                    names.Add(path);
                }
            }
            entries[path] = new RootfsEntry(path, type, status.Mode & 0xFFF, uid, gid, type == "file" ? (long)status.Size : 0, hash,
                type == "symlink" ? new FileInfo(host).LinkTarget : null, null);
        }
        // Hardlinks are compared by structure: each name records the first name of its inode within this tree.
        foreach (var names in inodes.Values.Where(n => n.Count > 1))
        {
            var first = names.Min(StringComparer.Ordinal)!;
            foreach (var name in names) entries[name] = entries[name] with { HardlinkGroup = first };
        }
        return new RootfsSnapshot(entries);
    }

    private static (long Uid, long Gid) Owner(string host, string type, Libc.Statx status, bool rootless, (uint, uint) self)
    {
        if (type != "symlink" && Libc.GetXattr(host, RootlessOwnerXattr) is { } record) return DecodeRootlessRecord(record);
        if (rootless && (status.Uid, status.Gid) == self) return (0, 0);
        return (status.Uid, status.Gid);
    }

    /// <summary>
    /// Decodes the two varint fields of the rootlesscontainers.io protobuf message. umoci writes the other field of a
    /// record as NoopID (2^32-1, "the owner on disk", which is the image's root) when only one of uid and gid is non-zero.
    /// </summary>
    private static (long Uid, long Gid) DecodeRootlessRecord(byte[] record)
    {
        const long noopId = uint.MaxValue;
        long uid = 0, gid = 0;
        var i = 0;
        while (i < record.Length)
        {
            var key = ReadVarint(record, ref i);
            var value = ReadVarint(record, ref i);
            if (key >> 3 == 1) uid = value;
            else if (key >> 3 == 2) gid = value;
        }
        return (uid == noopId ? 0 : uid, gid == noopId ? 0 : gid);
    }

    private static long ReadVarint(byte[] bytes, ref int index)
    {
        long value = 0;
        for (var shift = 0; index < bytes.Length; shift += 7)
        {
            var b = bytes[index++];
            value |= (long)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) break;
        }
        return value;
    }

    private static IEnumerable<string> Walk(string folder)
    {
        foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            yield return entry.FullName;
            if (entry is DirectoryInfo && entry.LinkTarget is null)
                foreach (var child in Walk(entry.FullName)) yield return child;
        }
    }
}
