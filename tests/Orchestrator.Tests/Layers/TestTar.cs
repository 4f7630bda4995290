using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Orchestrator.Layers;
using Orchestrator.Testing;

namespace Orchestrator.Tests.Layers;

/// <summary>Builds small layer tars in memory for tests, and temp folders that clean up after themselves.</summary>
internal sealed class TestTar
{
    private readonly MemoryStream _tar = new();
    private readonly TarWriter _writer;
    private static readonly DateTimeOffset Time = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    public TestTar() => _writer = new TarWriter(_tar, TarEntryFormat.Pax, leaveOpen: true);

    public TestTar Dir(string name, int mode = 0x1ED, int uid = 0, int gid = 0) =>
        Add(new PaxTarEntry(TarEntryType.Directory, name) { Mode = (UnixFileMode)mode, Uid = uid, Gid = gid, ModificationTime = Time });

    public TestTar File(string name, string content, int mode = 0x1A4, int uid = 0, int gid = 0, Dictionary<string, string>? pax = null) =>
        Add(new PaxTarEntry(TarEntryType.RegularFile, name, pax ?? []) { Mode = (UnixFileMode)mode, Uid = uid, Gid = gid, ModificationTime = Time, DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });

    public TestTar Symlink(string name, string target) =>
        Add(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target, Mode = (UnixFileMode)0x1FF, ModificationTime = Time });

    public TestTar HardLink(string name, string target) =>
        Add(new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target, Mode = (UnixFileMode)0x1A4, ModificationTime = Time });

    public TestTar Device(string name, int major, int minor) =>
        Add(new PaxTarEntry(TarEntryType.CharacterDevice, name) { DeviceMajor = major, DeviceMinor = minor, Mode = (UnixFileMode)0x1B6, ModificationTime = Time });

    public TestTar Add(TarEntry entry)
    {
        _writer.WriteEntry(entry);
        return this;
    }

    public byte[] Plain()
    {
        _writer.Dispose();
        return _tar.ToArray();
    }

    public static byte[] Compress(byte[] tar, LayerCompression compression)
    {
        var output = new MemoryStream();
        if (compression == LayerCompression.Gzip)
            using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(tar);
        else if (compression == LayerCompression.Zstd)
            using (var zstd = new ZstdSharp.CompressionStream(output, 3, leaveOpen: true)) zstd.Write(tar);
        else output.Write(tar);
        return output.ToArray();
    }
}

/// <summary>A temp folder deleted (whatever its permissions) when the test ends.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        // Per user, so root and unprivileged runs of the suite do not trip over each other's folders.
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"orchestrator-tests-{HostUser.Id}", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(string name)
    {
        var path = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(path);
        return path;
    }

    public void Dispose() => FolderDeleter.Delete(Path);
}

/// <summary>stat facts tests assert on, read through the engine's own statx binding.</summary>
internal static class Stat
{
    public static Libc.Statx Of(string path) => Libc.LinkStatus(path) ?? throw new FileNotFoundException(path);

    public static bool IsWhiteout(string path) => Libc.LinkStatus(path) is { } s && FileKind.IsWhiteoutDevice(s);

    public static uint Mode(string path) => FileKind.Permissions(Of(path));

    public static string? Xattr(string path, string name) =>
        Libc.GetXattr(path, name) is { } v ? Encoding.UTF8.GetString(v) : null;

    public static bool IsRoot => Libc.GetEffectiveUserId() == 0;
}
