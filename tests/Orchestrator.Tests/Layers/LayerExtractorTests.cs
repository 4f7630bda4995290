using System.Security.Cryptography;
using Orchestrator.Layers;
using Orchestrator.Testing;
using Orchestrator.Oci;

namespace Orchestrator.Tests.Layers;

public sealed class LayerExtractorTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private async Task<LayerExtractionResult> Extract(byte[] blob, string target, LayerExtractionOptions? options = null) =>
        await new LayerExtractor(options).ExtractAsync(new MemoryStream(blob), target);

    [Theory]
    [InlineData(LayerCompression.None)]
    [InlineData(LayerCompression.Gzip)]
    [InlineData(LayerCompression.Zstd)]
    public async Task Detects_compression_and_reports_the_diffid_of_the_plain_tar(LayerCompression compression)
    {
        var tar = new TestTar().Dir("etc/").File("etc/motd", "hello\n").Plain();
        var target = _temp.Sub("out");

        var result = await Extract(TestTar.Compress(tar, compression), target);

        Assert.Equal(compression, result.Compression);
        Assert.Equal(Digest.FromHash(SHA256.HashData(tar)), result.DiffId);
        Assert.Equal(tar.Length, result.UncompressedSize);
        Assert.Equal("hello\n", File.ReadAllText(Path.Combine(target, "etc/motd")));
    }

    [Fact]
    public async Task Whiteouts_become_overlay_markers()
    {
        var tar = new TestTar().Dir("etc/").File("etc/.wh.group", "").Dir("var/cache/").File("var/cache/.wh..wh..opq", "").File("var/cache/new", "n").Plain();
        var target = _temp.Sub("out");

        await Extract(tar, target);

        Assert.True(Stat.IsWhiteout(Path.Combine(target, "etc/group")));
        Assert.False(File.Exists(Path.Combine(target, "etc/.wh.group")));
        Assert.Equal("y", Stat.Xattr(Path.Combine(target, "var/cache"), LayerMarkers.UserOpaqueXattr));
        Assert.False(File.Exists(Path.Combine(target, "var/cache/.wh..wh..opq")));
        Assert.Equal("n", File.ReadAllText(Path.Combine(target, "var/cache/new")));
    }

    [Fact]
    public async Task A_directory_replaced_later_in_the_layer_and_aufs_bookkeeping_are_handled()
    {
        var target = _temp.Sub("out");
        var result = await Extract(new TestTar().Dir("d/", mode: 0x16D).File("d/x", "x").File("d", "now a file").Dir(".wh..wh.plnk/").Plain(), target);

        Assert.Equal("now a file", File.ReadAllText(Path.Combine(target, "d")));
        Assert.False(Directory.Exists(Path.Combine(target, ".wh..wh.plnk")));
        Assert.Equal(1, result.SkippedEntries);
    }

    [Fact]
    public async Task Apply_mode_deletes_whited_out_and_opaque_content_of_earlier_layers()
    {
        var target = _temp.Sub("flat");
        await Extract(new TestTar().Dir("etc/").File("etc/group", "g").File("etc/keep", "k").Dir("var/cache/").File("var/cache/old", "o").Plain(), target, new() { Whiteouts = WhiteoutMode.Apply });

        await Extract(new TestTar().File("etc/.wh.group", "").File("var/cache/new", "n").File("var/cache/.wh..wh..opq", "").Plain(), target, new() { Whiteouts = WhiteoutMode.Apply });

        Assert.False(File.Exists(Path.Combine(target, "etc/group")));
        Assert.True(File.Exists(Path.Combine(target, "etc/keep")));
        Assert.False(File.Exists(Path.Combine(target, "var/cache/old")));
        Assert.True(File.Exists(Path.Combine(target, "var/cache/new")));
    }

    [Fact]
    public async Task Hardlinks_within_the_layer_share_the_inode()
    {
        var target = _temp.Sub("out");
        await Extract(new TestTar().File("a", "same").HardLink("b", "a").Plain(), target);

        var a = Stat.Of(Path.Combine(target, "a"));
        var b = Stat.Of(Path.Combine(target, "b"));
        Assert.Equal(a.Inode, b.Inode);
        Assert.Equal(2u, a.LinkCount);
    }

    [Fact]
    public async Task Hardlink_to_lower_content_is_materialised_as_a_copy()
    {
        var lower = _temp.Sub("lower");
        await Extract(new TestTar().Dir("usr/").File("usr/tool", "binary").Plain(), lower);
        var upper = _temp.Sub("upper");

        await Extract(new TestTar().HardLink("usr/alias", "usr/tool").Plain(), upper, new() { LowerLayers = [lower] });

        Assert.Equal("binary", File.ReadAllText(Path.Combine(upper, "usr/alias")));
        Assert.NotEqual(Stat.Of(Path.Combine(lower, "usr/tool")).Inode, Stat.Of(Path.Combine(upper, "usr/alias")).Inode);
    }

    [Fact]
    public async Task Hardlink_to_nothing_is_rejected_with_the_entry_named()
    {
        var error = await Assert.ThrowsAsync<OrchestratorException>(() => Extract(new TestTar().HardLink("b", "missing").Plain(), _temp.Sub("out")));
        Assert.Contains("'b'", error.Message);
        Assert.Contains("missing", error.Message);
    }

    [Fact]
    public async Task Keeps_symlinks_special_bits_owners_times_and_xattrs()
    {
        var target = _temp.Sub("out");
        var tar = new TestTar()
            .Dir("bin/")
            .File("bin/su", "x", mode: 0xDED /* 04755 + 02000 */, uid: 0, gid: 0)
            .Dir("shared/", mode: 0x3FF /* 1777 */)
            .File("owned", "o", uid: 1000, gid: 50)
            .File("tagged", "t", pax: new() { ["SCHILY.xattr.user.note"] = "kept", ["SCHILY.xattr.user.overlay.opaque"] = "y" })
            .Symlink("link", "bin/su")
            .Plain();

        await Extract(tar, target);

        Assert.Equal(0xDEDu, Stat.Mode(Path.Combine(target, "bin/su")));
        Assert.Equal(0x3FFu, Stat.Mode(Path.Combine(target, "shared")));
        Assert.Equal("bin/su", new FileInfo(Path.Combine(target, "link")).LinkTarget);
        Assert.Equal("kept", Stat.Xattr(Path.Combine(target, "tagged"), "user.note"));
        Assert.Null(Stat.Xattr(Path.Combine(target, "tagged"), "user.overlay.opaque")); // a layer cannot forge overlay markers
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds(), Stat.Of(Path.Combine(target, "owned")).ModificationTime.Seconds);
        var owned = Stat.Of(Path.Combine(target, "owned"));
        if (Stat.IsRoot)
            Assert.Equal((1000u, 50u), (owned.Uid, owned.Gid));
        else
            Assert.Equal("1000:50", Stat.Xattr(Path.Combine(target, "owned"), LayerMarkers.OwnerXattr));
    }

    [Fact]
    public async Task Device_nodes_are_created_when_privileged_and_skipped_with_a_note_otherwise()
    {
        var target = _temp.Sub("out");
        var notes = new List<string>();
        var result = await Extract(new TestTar().Dir("dev/").Device("dev/null", 1, 3).Plain(), target, new() { OnNote = notes.Add });

        // Root of a user namespace (a non-root user's build) may not create devices either.
        if (HostUser.IsMachineRoot)
        {
            var node = Stat.Of(Path.Combine(target, "dev/null"));
            Assert.Equal((1u, 3u), (node.RdevMajor, node.RdevMinor));
            Assert.Empty(notes);
        }
        else
        {
            Assert.Equal(1, result.SkippedEntries);
            Assert.Contains(notes, n => n.Contains("dev/null", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Rejects_parent_directory_components()
    {
        var outside = Path.Combine(_temp.Path, "escaped");
        var error = await Assert.ThrowsAsync<OrchestratorException>(() => Extract(new TestTar().File("a/../../escaped", "x").Plain(), _temp.Sub("out")));
        Assert.Contains("'a/../../escaped'", error.Message);
        Assert.Contains("..", error.Message);
        Assert.False(File.Exists(outside));
    }

    [Fact]
    public async Task Rejects_absolute_paths()
    {
        var error = await Assert.ThrowsAsync<OrchestratorException>(() => Extract(new TestTar().File("/etc/evil", "x").Plain(), _temp.Sub("out")));
        Assert.Contains("'/etc/evil'", error.Message);
        Assert.Contains("absolute", error.Message);
    }

    [Fact]
    public async Task Rejects_writing_through_a_symlink_that_leads_outside()
    {
        var outside = _temp.Sub("victim");
        var error = await Assert.ThrowsAsync<OrchestratorException>(() => Extract(new TestTar().Symlink("etc", outside).File("etc/passwd", "owned").Plain(), _temp.Sub("out")));
        Assert.Contains("'etc/passwd'", error.Message);
        Assert.Contains("symlink 'etc'", error.Message);
        Assert.False(File.Exists(Path.Combine(outside, "passwd")));
    }

    [Fact]
    public async Task Rejects_hardlinks_through_a_relative_escaping_symlink()
    {
        var error = await Assert.ThrowsAsync<OrchestratorException>(() => Extract(new TestTar().Symlink("up", "../..").HardLink("stolen", "up/etc/shadow").Plain(), _temp.Sub("out")));
        Assert.Contains("symlink 'up'", error.Message);
    }

    [Fact]
    public async Task Garbage_is_reported_as_a_corrupt_layer()
    {
        var error = await Assert.ThrowsAsync<OrchestratorException>(() => Extract(TestTar.Compress(new byte[1500].Select((_, i) => (byte)(i * 7 + 1)).ToArray(), LayerCompression.Gzip), _temp.Sub("out"), new() { Label = "sha256:feed" }));
        Assert.Contains("sha256:feed", error.Message);
    }
}
