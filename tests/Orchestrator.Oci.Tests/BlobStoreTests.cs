using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Layout;
using Orchestrator.Oci.Storage;

namespace Orchestrator.Oci.Tests;

public sealed class BlobStoreTests : IDisposable
{
    private readonly TestWorkspace _workspace = new();

    private static byte[] RandomBytes(int count, int seed)
    {
        var bytes = new byte[count];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public async Task Stores_by_digest_and_reads_back_verified()
    {
        var store = new LocalBlobStore(_workspace["cache"]);
        var bytes = RandomBytes(100_000, 1);
        var (digest, size) = await store.AddAsync(new MemoryStream(bytes), default);
        Assert.Equal(Digest.Sha256(bytes), digest);
        Assert.Equal(bytes.Length, size);
        Assert.Equal(Path.Combine(store.Root, "blobs", "sha256", digest.Hex), store.PathOf(digest));

        await using var read = await store.OpenReadAsync(new Descriptor(MediaTypes.OciLayerGzip, digest, size), default);
        using var copy = new MemoryStream();
        await read.CopyToAsync(copy);
        Assert.Equal(bytes, copy.ToArray());
    }

    [Fact]
    public async Task A_blob_changed_on_disk_fails_its_read()
    {
        var store = new LocalBlobStore(_workspace["cache"]);
        var bytes = RandomBytes(10_000, 2);
        var (digest, size) = await store.AddAsync(new MemoryStream(bytes), default);
        bytes[5] ^= 1;
        await File.WriteAllBytesAsync(store.PathOf(digest), bytes);

        await using var read = await store.OpenReadAsync(new Descriptor(MediaTypes.OciLayerGzip, digest, size), default);
        var error = await Assert.ThrowsAsync<OrchestratorException>(() => read.CopyToAsync(Stream.Null));
        Assert.Contains(digest.ToString(), error.Message);
        Assert.Contains(store.Root, error.Message);
    }

    [Fact]
    public async Task Content_that_does_not_match_the_expected_digest_is_not_kept()
    {
        var store = new LocalBlobStore(_workspace["cache"]);
        var claimed = new Descriptor(MediaTypes.OciLayerGzip, Digest.Sha256("other"u8), 5);
        var error = await Assert.ThrowsAsync<OrchestratorException>(() => store.PutAsync(claimed, new MemoryStream("hello"u8.ToArray()), default));
        Assert.Contains(claimed.Digest.ToString(), error.Message);
        Assert.False(await store.ContainsAsync(claimed.Digest, default));
        Assert.False(await store.ContainsAsync(Digest.Sha256("hello"u8), default));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(store.Root, "tmp")));
    }

    [Fact]
    public async Task Many_writers_of_the_same_blob_through_separate_stores_leave_one_intact_copy()
    {
        var root = _workspace["shared"];
        var bytes = RandomBytes(2_000_000, 3);
        var expected = new Descriptor(MediaTypes.OciLayerGzip, Digest.Sha256(bytes), bytes.Length);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => new LocalBlobStore(root).PutAsync(expected, new MemoryStream(bytes), default))));

        var store = new LocalBlobStore(root);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(store.PathOf(expected.Digest)));
        Assert.Single(Directory.EnumerateFiles(Path.Combine(root, "blobs", "sha256")));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(root, "tmp")));
    }

    [Fact]
    public void Default_root_follows_xdg_cache_home()
    {
        // Only this test reads XDG_CACHE_HOME in this process, so changing it briefly is safe.
        var saved = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        try
        {
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", _workspace["xdg"]);
            Assert.Equal(Path.Combine(_workspace["xdg"], "orchestrator"), LocalBlobStore.DefaultRoot);
            Assert.Equal(Path.Combine(_workspace["xdg"], "orchestrator"), LocalBlobStore.Open().Root);
        }
        finally
        {
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", saved);
        }
        Assert.Equal(Path.GetFullPath(_workspace["given"]), LocalBlobStore.Open(_workspace["given"]).Root);
    }

    [Fact]
    public async Task Oci_layout_names_manifests_and_replaces_a_reused_name()
    {
        var layout = OciLayout.OpenOrCreate(_workspace["layout"]);
        Assert.Equal("{\"imageLayoutVersion\":\"1.0.0\"}", await File.ReadAllTextAsync(Path.Combine(layout.Root, "oci-layout")));
        var first = await Orchestrator.Testing.TestImages.CreateAsync(layout, 1, 1_000, seed: 1);
        var second = await Orchestrator.Testing.TestImages.CreateAsync(layout, 1, 1_000, seed: 2);
        await layout.AddManifestAsync(first, "v1");
        await layout.AddManifestAsync(first, "latest");
        await layout.AddManifestAsync(second, "latest");

        var reopened = OciLayout.Open(layout.Root);
        var index = await reopened.ReadIndexAsync();
        Assert.Equal(2, index.Manifests.Count);
        Assert.Equal(first.Digest, (await reopened.FindAsync("v1")).Digest);
        Assert.Equal(second.Digest, (await reopened.FindAsync("latest")).Digest);
        var missing = await Assert.ThrowsAsync<OrchestratorException>(() => reopened.FindAsync("v2"));
        Assert.Contains("'v2'", missing.Message);
        Assert.Contains("latest", missing.Message);
    }

    [Fact]
    public void A_folder_that_is_not_a_layout_is_refused()
    {
        Directory.CreateDirectory(_workspace["junk"]);
        File.WriteAllText(Path.Combine(_workspace["junk"], "file.txt"), "x");
        Assert.Contains("not an OCI image layout", Assert.Throws<OrchestratorException>(() => OciLayout.Open(_workspace["junk"])).Message);
        Assert.Contains("not empty", Assert.Throws<OrchestratorException>(() => OciLayout.OpenOrCreate(_workspace["junk"])).Message);
    }

    public void Dispose() => _workspace.Dispose();
}

public sealed class FileBlobSourceTests : IDisposable
{
    private readonly TestWorkspace _workspace = new();

    [Fact]
    public async Task Serves_files_by_digest_verifies_them_and_falls_back()
    {
        var path = _workspace["layer.tar.gz"];
        await File.WriteAllBytesAsync(path, "layer bytes"u8.ToArray());
        var digest = Digest.Sha256("layer bytes"u8);
        var store = new LocalBlobStore(_workspace["store"]);
        var (configDigest, configSize) = await store.AddAsync(new MemoryStream("{}"u8.ToArray()), default);
        var source = new FileBlobSource(new Dictionary<Digest, string> { [digest] = path }, store);

        await using (var layer = await source.OpenReadAsync(new Descriptor(MediaTypes.OciLayerGzip, digest, 11), default))
        {
            using var copy = new MemoryStream();
            await layer.CopyToAsync(copy);
            Assert.Equal("layer bytes"u8.ToArray(), copy.ToArray());
        }
        await using (var config = await source.OpenReadAsync(new Descriptor(MediaTypes.OciConfig, configDigest, configSize), default))
            await config.CopyToAsync(Stream.Null);

        await File.WriteAllBytesAsync(path, "tampered!!!"u8.ToArray());
        await using var tampered = await source.OpenReadAsync(new Descriptor(MediaTypes.OciLayerGzip, digest, 11), default);
        Assert.Contains(path, (await Assert.ThrowsAsync<OrchestratorException>(() => tampered.CopyToAsync(Stream.Null))).Message);
        Assert.Throws<OrchestratorException>(() => { _ = new FileBlobSource(new Dictionary<Digest, string>()).OpenReadAsync(new Descriptor(MediaTypes.OciConfig, configDigest, configSize), default); });
    }

    public void Dispose() => _workspace.Dispose();
}
