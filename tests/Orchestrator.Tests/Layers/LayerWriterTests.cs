using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Orchestrator.Layers;
using Orchestrator.Oci;

namespace Orchestrator.Tests.Layers;

public sealed class LayerWriterTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static readonly LayerWriterOptions Reproducible = new() { Timestamps = TimestampPolicy.Fixed(DateTimeOffset.UnixEpoch) };

    private string MakeTree(string name, DateTime mtime)
    {
        var root = _temp.Sub(name);
        Directory.CreateDirectory(Path.Combine(root, "app/lib"));
        File.WriteAllText(Path.Combine(root, "app/main.sh"), "#!/bin/sh\necho hi\n");
        File.WriteAllText(Path.Combine(root, "app/lib/data.txt"), new string('d', 100_000));
        File.CreateSymbolicLink(Path.Combine(root, "app/current"), "main.sh");
        Libc.Chmod(Path.Combine(root, "app/main.sh"), 0x1ED);
        foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Append(root))
            if (!new FileInfo(path).Attributes.HasFlag(FileAttributes.ReparsePoint)) File.SetLastWriteTimeUtc(path, mtime);
        return root;
    }

    private static List<(string Name, TarEntryType Type, string? Link, int Uid, UnixFileMode Mode, DateTimeOffset Time, IReadOnlyDictionary<string, string> Pax)> ReadBlob(LayerBlob blob)
    {
        using var file = File.OpenRead(blob.Path);
        Stream tar = blob.Compression switch
        {
            LayerCompression.Gzip => new GZipStream(file, CompressionMode.Decompress),
            LayerCompression.Zstd => new ZstdSharp.DecompressionStream(file),
            _ => file,
        };
        using var reader = new TarReader(tar);
        var entries = new List<(string, TarEntryType, string?, int, UnixFileMode, DateTimeOffset, IReadOnlyDictionary<string, string>)>();
        while (reader.GetNextEntry() is { } e)
            entries.Add((e.Name, e.EntryType, string.IsNullOrEmpty(e.LinkName) ? null : e.LinkName, e.Uid, e.Mode, e.ModificationTime, ((PaxTarEntry)e).ExtendedAttributes));
        return entries;
    }

    [Theory]
    [InlineData(LayerCompression.Gzip)]
    [InlineData(LayerCompression.Zstd)]
    public async Task Same_content_with_different_mtimes_gives_the_same_digests(LayerCompression compression)
    {
        var one = MakeTree("one", new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var two = MakeTree("two", new DateTime(2023, 6, 7, 8, 9, 10, DateTimeKind.Utc));
        var writer = new LayerWriter(Reproducible with { Compression = compression });

        var a = await writer.WriteFolderAsync(one, "/", _temp.Sub("blobs-a"));
        var b = await writer.WriteFolderAsync(two, "/", _temp.Sub("blobs-b"));

        Assert.Equal(a.Digest, b.Digest);
        Assert.Equal(a.DiffId, b.DiffId);
        Assert.NotEqual(a.Digest, a.DiffId);
    }

    [Fact]
    public async Task Digest_size_and_diffid_describe_the_file_written()
    {
        var blob = await new LayerWriter(Reproducible).WriteFolderAsync(MakeTree("t", DateTime.UtcNow), "/srv", _temp.Sub("blobs"));

        var bytes = await File.ReadAllBytesAsync(blob.Path);
        Assert.Equal(blob.Digest, Digest.FromHash(SHA256.HashData(bytes)));
        Assert.Equal(bytes.Length, blob.Size);
        Assert.Equal(blob.Digest.Hex, Path.GetFileName(blob.Path));
        using var plain = new MemoryStream();
        using (var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress)) gzip.CopyTo(plain);
        Assert.Equal(blob.DiffId, Digest.FromHash(SHA256.HashData(plain.ToArray())));
        Assert.Equal(plain.Length, blob.UncompressedSize);
        Assert.Equal("application/vnd.oci.image.layer.v1.tar+gzip", blob.MediaType);
    }

    [Fact]
    public async Task Entries_are_sorted_with_fixed_pax_header_names_and_no_access_or_change_times()
    {
        var blob = await new LayerWriter(Reproducible with { Compression = LayerCompression.None }).WriteFolderAsync(MakeTree("t", DateTime.UtcNow), "/srv", _temp.Sub("blobs"));

        var names = ReadBlob(blob).Select(e => e.Name).ToList();
        Assert.Equal(["srv/", "srv/app/", "srv/app/current", "srv/app/lib/", "srv/app/lib/data.txt", "srv/app/main.sh"], names);
        var raw = Encoding.Latin1.GetString(await File.ReadAllBytesAsync(blob.Path));
        Assert.DoesNotContain($"PaxHeaders.{Environment.ProcessId}", raw);
        Assert.Contains("PaxHeaders.0/", raw);
        Assert.DoesNotContain("atime=", raw);
        Assert.DoesNotContain("ctime=", raw);
        Assert.All(ReadBlob(blob), e => Assert.Equal(DateTimeOffset.UnixEpoch, e.Time));
    }

    [Fact]
    public async Task Source_date_epoch_clamps_only_later_times()
    {
        var epoch = new DateTimeOffset(2022, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var root = MakeTree("t", new DateTime(2021, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        File.SetLastWriteTimeUtc(Path.Combine(root, "app/main.sh"), new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        var policy = TimestampPolicy.Resolve(reproducible: false, sourceDateEpoch: epoch.ToUnixTimeSeconds().ToString());

        var entries = ReadBlob(await new LayerWriter(new() { Timestamps = policy }).WriteFolderAsync(root, "/", _temp.Sub("blobs")));

        Assert.Equal(epoch, entries.Single(e => e.Name == "app/main.sh").Time);
        Assert.Equal(new DateTimeOffset(2021, 1, 1, 0, 0, 0, TimeSpan.Zero), entries.Single(e => e.Name == "app/lib/data.txt").Time);
        Assert.Throws<OrchestratorException>(() => TimestampPolicy.Resolve(false, "yesterday"));
    }

    [Fact]
    public async Task Overlay_markers_in_an_upper_folder_become_oci_whiteouts()
    {
        var upper = _temp.Sub("upper");
        Directory.CreateDirectory(Path.Combine(upper, "etc"));
        Assert.Equal(0, Libc.TryMknod(Path.Combine(upper, "etc/group"), FileKind.CharDevice, 0, 0));
        Directory.CreateDirectory(Path.Combine(upper, "var/cache"));
        Assert.Equal(0, Libc.TrySetXattr(Path.Combine(upper, "var/cache"), LayerMarkers.UserOpaqueXattr, "y"u8.ToArray()));
        Assert.Equal(0, Libc.TrySetXattr(Path.Combine(upper, "var"), "user.overlay.impure", "y"u8.ToArray()));
        File.WriteAllText(Path.Combine(upper, "var/cache/fresh"), "f");
        File.WriteAllText(Path.Combine(upper, "a"), "hi\n");
        File.WriteAllText(Path.Combine(upper, "hidden-by-xattr"), "");
        Assert.Equal(0, Libc.TrySetXattr(Path.Combine(upper, "hidden-by-xattr"), LayerMarkers.UserWhiteoutXattr, []));

        var entries = ReadBlob(await new LayerWriter(Reproducible).WriteOverlayUpperAsync(upper, _temp.Sub("blobs")));

        Assert.Equal(["a", "etc/", "etc/.wh.group", ".wh.hidden-by-xattr", "var/", "var/cache/", "var/cache/.wh..wh..opq", "var/cache/fresh"], entries.Select(e => e.Name));
        Assert.All(entries, e => Assert.DoesNotContain(e.Pax.Keys, k => k.Contains("overlay", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Names_of_one_inode_become_a_file_and_hardlinks_and_owners_follow_the_record()
    {
        var root = _temp.Sub("t");
        File.WriteAllText(Path.Combine(root, "first"), "shared");
        Libc.HardLink(Path.Combine(root, "first"), Path.Combine(root, "second"));
        File.WriteAllText(Path.Combine(root, "owned"), "o");
        if (Stat.IsRoot) Assert.Equal(0, Libc.TryLchown(Path.Combine(root, "owned"), 1000, 1000));
        else Assert.Equal(0, Libc.TrySetXattr(Path.Combine(root, "owned"), LayerMarkers.OwnerXattr, "1000:1000"u8.ToArray()));

        var entries = ReadBlob(await new LayerWriter(Reproducible).WriteFolderAsync(root, "/", _temp.Sub("blobs")));

        Assert.Equal(TarEntryType.RegularFile, entries.Single(e => e.Name == "first").Type);
        var second = entries.Single(e => e.Name == "second");
        Assert.Equal((TarEntryType.HardLink, "first"), (second.Type, second.Link));
        Assert.Equal(1000, entries.Single(e => e.Name == "owned").Uid);
        Assert.DoesNotContain(entries.SelectMany(e => e.Pax.Keys), k => k.Contains("orchestrator", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Gnu_tar_reads_the_layer_back_to_the_same_tree()
    {
        var source = MakeTree("src", DateTime.UtcNow);
        Libc.Chmod(Path.Combine(source, "app/lib"), 0xBED /* 02755 + sticky */);
        var blob = await new LayerWriter(Reproducible).WriteFolderAsync(source, "/", _temp.Sub("blobs"));
        var unpacked = _temp.Sub("unpacked");

        using (var tar = Process.Start(new ProcessStartInfo("tar", ["--no-same-owner", "--preserve-permissions", "-xzf", blob.Path, "-C", unpacked]) { RedirectStandardError = true })!)
        {
            var stderr = await tar.StandardError.ReadToEndAsync();
            await tar.WaitForExitAsync();
            Assert.True(tar.ExitCode == 0, stderr);
        }

        Assert.Equal(File.ReadAllText(Path.Combine(source, "app/lib/data.txt")), File.ReadAllText(Path.Combine(unpacked, "app/lib/data.txt")));
        Assert.Equal(0x1EDu, Stat.Mode(Path.Combine(unpacked, "app/main.sh")));
        Assert.Equal(0xBEDu, Stat.Mode(Path.Combine(unpacked, "app/lib")));
        Assert.Equal("main.sh", new FileInfo(Path.Combine(unpacked, "app/current")).LinkTarget);
    }

    [Fact]
    public async Task The_extractor_reads_what_the_writer_wrote()
    {
        var upper = _temp.Sub("upper");
        Directory.CreateDirectory(Path.Combine(upper, "etc"));
        Libc.TryMknod(Path.Combine(upper, "etc/old"), FileKind.CharDevice, 0, 0);
        File.WriteAllText(Path.Combine(upper, "etc/new"), "n");
        var blob = await new LayerWriter(Reproducible with { Compression = LayerCompression.Zstd }).WriteOverlayUpperAsync(upper, _temp.Sub("blobs"));

        await using var stream = File.OpenRead(blob.Path);
        var result = await new LayerExtractor().ExtractAsync(stream, _temp.Sub("back"));

        Assert.Equal(blob.DiffId, result.DiffId);
        Assert.True(Stat.IsWhiteout(Path.Combine(_temp.Path, "back/etc/old")));
        Assert.Equal("n", File.ReadAllText(Path.Combine(_temp.Path, "back/etc/new")));
    }
}
