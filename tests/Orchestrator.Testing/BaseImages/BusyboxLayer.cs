using System.Formats.Tar;
using System.IO.Compression;

namespace Orchestrator.Testing.BaseImages;

/// <summary>
/// A tiny real base image layer built from Debian's busybox-static: /bin/busybox, applet
/// symlinks, /etc/passwd and /etc/group (root, a "builder" user 1000, nobody), /tmp, /root and a
/// home folder. Packed with System.Formats.Tar directly (not the engine's writer), so tests of
/// the engine read a layer they did not produce themselves.
/// </summary>
public static class BusyboxLayer
{
    public const string BusyboxPath = "/bin/busybox";

    public static readonly string[] Applets =
    [
        "sh", "ls", "cat", "echo", "rm", "mkdir", "id", "sleep", "touch", "chmod", "chown", "ln",
        "mv", "cp", "test", "true", "false", "stat", "find", "wc", "head", "tail", "grep", "env",
        "whoami", "hostname", "ip", "printf", "pwd", "readlink",
    ];

    public const string Passwd = "root:x:0:0:root:/root:/bin/sh\nbuilder:x:1000:1000:builder:/home/builder:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
    public const string Group = "root:x:0:\nbuilder:x:1000:\nstaff:x:50:builder\nnogroup:x:65534:\n";

    public static bool IsAvailable => File.Exists(BusyboxPath);

    /// <summary>Writes the layer as tar.gz to <paramref name="path"/> (created or overwritten).</summary>
    public static async Task WriteAsync(string path, CancellationToken cancellationToken = default)
    {
        if (!IsAvailable) throw new InvalidOperationException($"{BusyboxPath} is missing: install Debian's busybox-static.");
        await using var file = File.Create(path);
        await using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        await using var tar = new TarWriter(gzip, TarEntryFormat.Pax);
        var time = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

        async Task Directory(string name, UnixFileMode mode, int uid = 0, int gid = 0) =>
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, name) { Mode = mode, Uid = uid, Gid = gid, ModificationTime = time }, cancellationToken);

        async Task Text(string name, string content, UnixFileMode mode) =>
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, name) { Mode = mode, ModificationTime = time, DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)) }, cancellationToken);

        const UnixFileMode dir755 = (UnixFileMode)0x1ED;
        const UnixFileMode file644 = (UnixFileMode)0x1A4;
        await Directory("bin/", dir755);
        await using (var busybox = File.OpenRead(BusyboxPath))
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "bin/busybox") { Mode = dir755, ModificationTime = time, DataStream = busybox }, cancellationToken);
        foreach (var applet in Applets)
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/" + applet) { LinkName = "busybox", Mode = (UnixFileMode)0x1FF, ModificationTime = time }, cancellationToken);
        await Directory("etc/", dir755);
        await Text("etc/passwd", Passwd, file644);
        await Text("etc/group", Group, file644);
        await Directory("home/", dir755);
        await Directory("home/builder/", dir755, 1000, 1000);
        await Directory("root/", (UnixFileMode)0x1C0);
        await Directory("tmp/", (UnixFileMode)0x3FF); // 1777
    }
}
