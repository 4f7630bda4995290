using System.Net;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Images;
using Orchestrator.Oci.Registry;
using Orchestrator.Oci.Storage;
using Orchestrator.Testing;

namespace Orchestrator.Oci.Tests;

/// <summary>
/// What one client remembers of its uploads (a build pushes each layer to its cache repo and to its destinations):
/// counted at a proxy in front of the real registry, checked with skopeo.
/// </summary>
public sealed class BlobUploadLedgerTests(RegistryFixture registry) : IClassFixture<RegistryFixture>, IDisposable
{
    private readonly TestWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    private static RegistryClientPool Pool(int attempts = 3) => new(new RegistryClientOptions { Retry = RetryOptions.Fast with { MaxAttempts = attempts } });

    private static bool IsBlobPut(ProxiedRequest r) => r.Method == "PUT" && r.PathAndQuery.Contains("/blobs/uploads/", StringComparison.Ordinal);

    private static bool IsMount(ProxiedRequest r) => r.Method == "POST" && r.PathAndQuery.Contains("mount=", StringComparison.Ordinal);

    private static bool IsBlobHead(ProxiedRequest r) => r.Method == "HEAD" && r.PathAndQuery.Contains("/blobs/", StringComparison.Ordinal);

    [Fact]
    public async Task One_image_pushed_to_two_repositories_at_once_sends_each_blob_once_and_mounts_it_for_the_other()
    {
        await using var proxy = new FaultInjectingProxy(registry.Address);
        var store = new LocalBlobStore(_workspace["store"]);
        var manifest = await TestImages.CreateAsync(store, layerCount: 2, bytesPerLayer: 40_000, seed: 201);
        using var pool = Pool();
        var pusher = new ImagePusher(pool);

        var results = await Task.WhenAll(
            pusher.PushAsync(manifest, store, [ImageReference.Parse($"{proxy.Address}/ledger/cache:1")]),
            pusher.PushAsync(manifest, store, [ImageReference.Parse($"{proxy.Address}/ledger/app:1")]));

        var blobs = manifest.AsManifest().Blobs.Count();
        Assert.Equal(blobs, proxy.Requests.Count(IsBlobPut));
        Assert.Equal(blobs, proxy.Requests.Count(IsMount));
        Assert.Equal(blobs, results.Sum(r => r[0].Blobs.Values.Count(o => o == BlobUploadOutcome.Uploaded)));
        Assert.Equal(blobs, results.Sum(r => r[0].Blobs.Values.Count(o => o == BlobUploadOutcome.Mounted)));
        foreach (var repository in new[] { "ledger/cache", "ledger/app" })
        {
            var inspected = await Skopeo.InspectAsync($"docker://{registry.Address}/{repository}:1");
            Assert.Equal(manifest.Digest.ToString(), inspected.GetProperty("Digest").GetString());
            await Skopeo.CopyAsync($"docker://{registry.Address}/{repository}:1", $"oci:{_workspace["copy-" + repository.Replace('/', '-')]}:x");
        }
    }

    [Fact]
    public async Task A_blob_the_client_put_into_a_repository_is_not_asked_for_again()
    {
        await using var proxy = new FaultInjectingProxy(registry.Address);
        var store = new LocalBlobStore(_workspace["store"]);
        var first = await TestImages.CreateAsync(store, layerCount: 2, bytesPerLayer: 20_000, seed: 202);
        var second = await WithOtherConfigAsync(store, first);
        using var pool = Pool();

        await new ImagePusher(pool).PushAsync(first, store, [ImageReference.Parse($"{proxy.Address}/ledger/again:1")]);
        var before = proxy.Requests.Count;
        var result = await new ImagePusher(pool).PushAsync(second, store, [ImageReference.Parse($"{proxy.Address}/ledger/again:2")]);

        var later = proxy.Requests.Skip(before).ToList();
        // The layers are the first image's: neither asked for nor sent; only the new config goes up, then the manifest.
        Assert.All(first.AsManifest().Layers, layer => Assert.Equal(BlobUploadOutcome.AlreadyPresent, result[0].Blobs[layer.Digest]));
        Assert.Single(later, IsBlobPut);
        Assert.Single(later, IsBlobHead);
        Assert.Single(later, r => r.Method == "PUT" && r.PathAndQuery.Contains("/manifests/", StringComparison.Ordinal));
        Assert.Equal(second.Digest.ToString(), (await Skopeo.InspectAsync($"docker://{registry.Address}/ledger/again:2")).GetProperty("Digest").GetString());
    }

    /// <summary>The same layers under another config (another label).</summary>
    private static async Task<ManifestDocument> WithOtherConfigAsync(LocalBlobStore store, ManifestDocument document)
    {
        var image = document.AsManifest();
        ImageConfig config;
        await using (var stream = await store.OpenReadAsync(image.Config, CancellationToken.None))
            config = await ImageConfig.ReadAsync(stream, image, "test image", CancellationToken.None);
        var bytes = CanonicalJson.Serialize(config with { Config = config.Config! with { Labels = new Dictionary<string, string> { ["test.seed"] = "other" } } });
        var (digest, size) = await store.AddAsync(new MemoryStream(bytes), CancellationToken.None);
        var other = ManifestDocument.From(image with { Config = new Descriptor(image.Config.MediaType, digest, size) });
        await store.PutAsync(other.Descriptor, new MemoryStream(other.Content), CancellationToken.None);
        return other;
    }

    [Fact]
    public async Task A_failed_upload_is_not_remembered_and_the_next_push_sends_the_blob()
    {
        await using var proxy = new FaultInjectingProxy(registry.Address);
        var store = new LocalBlobStore(_workspace["store"]);
        var manifest = await TestImages.CreateAsync(store, layerCount: 1, bytesPerLayer: 20_000, seed: 203);
        using var pool = Pool(attempts: 1);
        var layer = manifest.AsManifest().Layers[0];
        proxy.Fail(r => IsBlobPut(r) && r.PathAndQuery.Contains(layer.Digest.Hex, StringComparison.Ordinal), HttpStatusCode.InternalServerError);
        var destination = ImageReference.Parse($"{proxy.Address}/ledger/retry:1");

        await Assert.ThrowsAsync<RegistryException>(() => new ImagePusher(pool).PushAsync(manifest, store, [destination]));
        var result = await new ImagePusher(pool).PushAsync(manifest, store, [destination]);

        Assert.Equal(BlobUploadOutcome.Uploaded, result[0].Blobs[layer.Digest]);
        await Skopeo.CopyAsync($"docker://{registry.Address}/ledger/retry:1", $"oci:{_workspace["retry-copy"]}:x");
    }
}
