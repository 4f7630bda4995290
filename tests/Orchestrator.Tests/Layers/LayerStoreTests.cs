using System.Security.Cryptography;
using Orchestrator.Layers;
using Orchestrator.Oci;

namespace Orchestrator.Tests.Layers;

public sealed class LayerStoreTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static (byte[] Blob, Digest DiffId) Layer(string content)
    {
        var tar = new TestTar().Dir("data/").File("data/file", content).File("data/.wh.gone", "").Plain();
        return (TestTar.Compress(tar, LayerCompression.Gzip), Digest.FromHash(SHA256.HashData(tar)));
    }

    [Fact]
    public async Task Extracts_once_into_a_folder_keyed_by_diffid_and_reuses_it()
    {
        var (blob, diffId) = Layer("v1");
        var opened = 0;
        Task<Stream> Open(CancellationToken _) { opened++; return Task.FromResult<Stream>(new MemoryStream(blob)); }

        var first = await new LayerStore(_temp.Path).GetOrExtractAsync(diffId, Open);
        var second = await new LayerStore(_temp.Path).GetOrExtractAsync(diffId, Open);

        Assert.Equal(Path.Combine(_temp.Path, "layers", "sha256", diffId.Hex), first);
        Assert.Equal(first, second);
        Assert.Equal(1, opened);
        Assert.Equal(0x1C0u, Stat.Mode(Path.Combine(_temp.Path, "layers"))); // setuid binaries inside stay private
        Assert.Equal("v1", File.ReadAllText(Path.Combine(first, "data/file")));
        Assert.True(Stat.IsWhiteout(Path.Combine(first, "data/gone")));
    }

    [Fact]
    public async Task Concurrent_extractions_of_one_layer_by_independent_stores_leave_one_complete_folder()
    {
        var (blob, diffId) = Layer(new string('x', 200_000));
        // Independent instances share nothing in memory, like two processes: only the rename decides.
        var stores = Enumerable.Range(0, 4).Select(_ => new LayerStore(_temp.Path)).ToList();

        var folders = await Task.WhenAll(stores.Select(s => Task.Run(() => s.GetOrExtractAsync(diffId, _ => Task.FromResult<Stream>(new MemoryStream(blob))))));

        Assert.All(folders, f => Assert.Equal(folders[0], f));
        Assert.Equal(200_000, new FileInfo(Path.Combine(folders[0], "data/file")).Length);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_temp.Path, "layers", "tmp")));
        Assert.Single(Directory.EnumerateDirectories(Path.Combine(_temp.Path, "layers", "sha256")));
    }

    [Fact]
    public async Task A_blob_that_does_not_match_its_diffid_is_refused_and_leaves_nothing()
    {
        var (blob, _) = Layer("real");
        var (_, claimed) = Layer("claimed");

        var error = await Assert.ThrowsAsync<OrchestratorException>(() => new LayerStore(_temp.Path).GetOrExtractAsync(claimed, _ => Task.FromResult<Stream>(new MemoryStream(blob))));

        Assert.Contains(claimed.ToString(), error.Message);
        Assert.False(Directory.Exists(Path.Combine(_temp.Path, "layers", "sha256", claimed.Hex)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_temp.Path, "layers", "tmp")));
    }

    [Fact]
    public void Stale_temporary_extractions_are_removed()
    {
        var stale = Path.Combine(_temp.Path, "layers", "tmp", "abc.1.dead");
        Directory.CreateDirectory(Path.Combine(stale, "ro"));
        Libc.Chmod(Path.Combine(stale, "ro"), 0x16D); // 0555: still removable
        Directory.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-2));
        var fresh = Path.Combine(_temp.Path, "layers", "tmp", "abc.2.busy");
        Directory.CreateDirectory(fresh);

        new LayerStore(_temp.Path).RemoveStaleTemporaryFolders(TimeSpan.FromHours(1));

        Assert.False(Directory.Exists(stale));
        Assert.True(Directory.Exists(fresh));
    }

    [Fact]
    public async Task Hardlinks_to_a_lower_layer_resolve_through_the_store()
    {
        var baseTar = new TestTar().Dir("bin/").File("bin/tool", "tool-bytes").Plain();
        var baseId = Digest.FromHash(SHA256.HashData(baseTar));
        var topTar = new TestTar().Dir("bin/").HardLink("bin/alias", "bin/tool").Plain();
        var topId = Digest.FromHash(SHA256.HashData(topTar));
        var store = new LayerStore(_temp.Path);

        await store.GetOrExtractAsync(baseId, _ => Task.FromResult<Stream>(new MemoryStream(baseTar)));
        var top = await store.GetOrExtractAsync(topId, _ => Task.FromResult<Stream>(new MemoryStream(topTar)), [baseId]);

        Assert.Equal("tool-bytes", File.ReadAllText(Path.Combine(top, "bin/alias")));
    }
}
