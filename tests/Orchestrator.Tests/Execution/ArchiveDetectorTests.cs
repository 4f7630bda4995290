using System.Security.Cryptography;
using Orchestrator.Execution;
using Orchestrator.Layers;
using Orchestrator.Oci;
using Orchestrator.Testing;
using Orchestrator.Tests.Layers;

namespace Orchestrator.Tests.Execution;

/// <summary>
/// Which local ADD sources are archives, decided by content as BuildKit's isArchivePath does (Docker's
/// archive.DecompressStream, then one tar header). The archives are made by GNU tar and the compressors
/// themselves, and named so that no extension gives the answer away.
/// </summary>
public sealed class ArchiveDetectorTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>A tar of one file <c>from-NAME.txt</c>, written by GNU tar with <paramref name="options"/>, as <c>NAME.data</c>.</summary>
    private async Task<string> TarAsync(string name, params string[] options)
    {
        var source = _temp.Sub("src-" + name);
        await File.WriteAllTextAsync(Path.Combine(source, $"from-{name}.txt"), $"{name}\n");
        var archive = Path.Combine(_temp.Path, name + ".data");
        (await ExternalTool.RunAsync("tar", [.. options, "-cf", archive, "-C", source, "."])).EnsureSuccess();
        return archive;
    }

    [Theory]
    [InlineData("plain", LayerCompression.None, "--format=gnu")]
    [InlineData("gzip", LayerCompression.Gzip, "--gzip")]
    [InlineData("bzip2", LayerCompression.Bzip2, "--bzip2")]
    [InlineData("xz", LayerCompression.Xz, "--xz")]
    [InlineData("zstd", LayerCompression.Zstd, "--zstd")]
    [InlineData("v7", LayerCompression.None, "--format=v7")]
    public async Task A_tar_is_an_archive_whatever_its_compression_and_name_and_is_extracted(string name, LayerCompression compression, string option)
    {
        var archive = await TarAsync(name, option);

        Assert.True(ArchiveDetector.IsArchive(archive));
        Assert.Contains($"from-{name}.txt", await ArchiveDetector.ListEntriesAsync(archive, CancellationToken.None));
        var target = _temp.Sub("out-" + name);
        await using (var stream = File.OpenRead(archive))
        {
            var result = await new LayerExtractor(new LayerExtractionOptions { Label = archive }).ExtractAsync(stream, target);
            Assert.Equal(compression, result.Compression);
        }
        Assert.Equal($"{name}\n", await File.ReadAllTextAsync(Path.Combine(target, $"from-{name}.txt")));
    }

    [Fact]
    public async Task Compressed_files_that_hold_no_tar_and_files_that_only_look_compressed_are_not_archives()
    {
        var text = Path.Combine(_temp.Path, "notes.txt");
        await File.WriteAllTextAsync(text, "just some notes, long enough to fill more than a few bytes of a block\n");
        foreach (var compressor in new[] { "gzip", "bzip2", "xz", "zstd" })
        {
            var compressed = Path.Combine(_temp.Path, "notes." + compressor);
            (await ExternalTool.RunAsync("sh", ["-c", $"{compressor} -c \"$1\" > \"$2\"", "sh", text, compressed])).EnsureSuccess();
            Assert.False(ArchiveDetector.IsArchive(compressed), compressor);
        }

        var bzLookalike = Path.Combine(_temp.Path, "BZh.tar");
        await File.WriteAllTextAsync(bzLookalike, "BZh9 is how this text starts, but it is no bzip2 stream at all");
        Assert.False(ArchiveDetector.IsArchive(bzLookalike));

        var empty = Path.Combine(_temp.Path, "empty.tar");
        await File.WriteAllBytesAsync(empty, []);
        Assert.False(ArchiveDetector.IsArchive(empty));

        var zeros = Path.Combine(_temp.Path, "zeros.tar");
        await File.WriteAllBytesAsync(zeros, new byte[10240]);
        Assert.False(ArchiveDetector.IsArchive(zeros));

        // A valid header but for one byte: the checksum no longer matches.
        var tar = await TarAsync("broken", "--format=gnu");
        var bytes = await File.ReadAllBytesAsync(tar);
        bytes[0] ^= 0x20;
        await File.WriteAllBytesAsync(tar, bytes);
        Assert.False(ArchiveDetector.IsArchive(tar));
    }

    [Fact]
    public async Task A_symlink_to_a_tar_is_an_archive_but_a_fifo_or_folder_is_not()
    {
        var archive = await TarAsync("linked", "--bzip2");
        var link = Path.Combine(_temp.Path, "link");
        File.CreateSymbolicLink(link, archive);
        Assert.True(ArchiveDetector.IsArchive(link));

        var fifo = Path.Combine(_temp.Path, "fifo");
        (await ExternalTool.RunAsync("mkfifo", fifo)).EnsureSuccess();
        Assert.False(ArchiveDetector.IsArchive(fifo));
        Assert.False(ArchiveDetector.IsArchive(_temp.Sub("folder")));
    }

    [Fact]
    public async Task A_layer_compressed_with_bzip2_or_xz_has_the_diffid_of_its_plain_tar()
    {
        var plain = new TestTar().Dir("etc/").File("etc/motd", "hello\n").Plain();
        var tarFile = Path.Combine(_temp.Path, "layer.tar");
        await File.WriteAllBytesAsync(tarFile, plain);
        foreach (var (compressor, compression) in new[] { ("bzip2", LayerCompression.Bzip2), ("xz", LayerCompression.Xz) })
        {
            var blob = (await ExternalTool.RunAsync("sh", ["-c", $"{compressor} -c \"$1\" | base64 -w0", "sh", tarFile])).EnsureSuccess().StandardOutput;
            var target = _temp.Sub("layer-" + compressor);
            var result = await new LayerExtractor().ExtractAsync(new MemoryStream(Convert.FromBase64String(blob.Trim())), target);
            Assert.Equal(compression, result.Compression);
            Assert.Equal(Digest.FromHash(SHA256.HashData(plain)), result.DiffId);
            Assert.Equal("hello\n", await File.ReadAllTextAsync(Path.Combine(target, "etc/motd")));
        }
    }

    [Theory]
    [InlineData("bzip2", "")]
    [InlineData("xz", "")]
    [InlineData("xz", "printf '\\0\\0\\0\\0\\0\\0\\0\\0'")]
    public async Task Concatenated_streams_decompress_as_one_tar_as_the_command_line_tools_read_them(string compressor, string padding)
    {
        var plain = new TestTar().File("first", new string('1', 3000)).File("second", new string('2', 3000)).Plain();
        var tarFile = Path.Combine(_temp.Path, "whole.tar");
        await File.WriteAllBytesAsync(tarFile, plain);
        var script = $"head -c 2048 \"$1\" | {compressor} -c; {(padding.Length == 0 ? "true" : padding)}; tail -c +2049 \"$1\" | {compressor} -c";
        var split = Path.Combine(_temp.Path, "split.data");
        (await ExternalTool.RunAsync("sh", ["-c", $"({script}) > \"$2\"", "sh", tarFile, split])).EnsureSuccess();
        (await ExternalTool.RunAsync(compressor, "-t", split)).EnsureSuccess(); // the tool itself accepts the file

        Assert.True(ArchiveDetector.IsArchive(split));
        await using var stream = File.OpenRead(split);
        var result = await new LayerExtractor().ExtractAsync(stream, _temp.Sub("split-" + compressor + padding.Length));
        Assert.Equal(Digest.FromHash(SHA256.HashData(plain)), result.DiffId);
    }

    [Fact]
    public async Task A_corrupt_bzip2_layer_is_reported_as_not_a_readable_tar()
    {
        var tarFile = Path.Combine(_temp.Path, "layer.tar");
        await File.WriteAllBytesAsync(tarFile, new TestTar().File("a", new string('x', 4000)).Plain());
        var blob = Convert.FromBase64String((await ExternalTool.RunAsync("sh", ["-c", "bzip2 -c \"$1\" | base64 -w0", "sh", tarFile])).EnsureSuccess().StandardOutput.Trim());
        for (var i = 20; i < blob.Length - 10; i++) blob[i] ^= 0x55;

        var error = await Assert.ThrowsAsync<OrchestratorException>(() => new LayerExtractor(new LayerExtractionOptions { Label = "corrupt" }).ExtractAsync(new MemoryStream(blob), _temp.Sub("corrupt")));
        Assert.Contains("layer corrupt: not a readable tar archive", error.Message);
    }
}
