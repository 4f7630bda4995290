using System.Diagnostics;
using System.Net;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Images;
using Orchestrator.Oci.Registry;
using Orchestrator.Oci.Storage;
using Orchestrator.Testing;

namespace Orchestrator.Oci.Tests;

/// <summary>Corrupt blobs, dead registries and a registry that fails in the middle of an upload.</summary>
public sealed class FaultTests(RegistryFixture registry) : IClassFixture<RegistryFixture>, IDisposable
{
    private readonly TestWorkspace _workspace = new();

    private static RegistryClientOptions Options(long chunkThreshold = 256L * 1024 * 1024, long chunkSize = 64L * 1024 * 1024, int attempts = 3) => new()
    {
        Retry = RetryOptions.Fast with { MaxAttempts = attempts },
        ChunkedUploadThreshold = chunkThreshold,
        ChunkSize = chunkSize,
    };

    [Fact]
    public async Task A_blob_whose_bytes_do_not_match_its_digest_is_refused_and_not_kept()
    {
        var store = new LocalBlobStore(_workspace["store"]);
        var manifest = await TestImages.CreateAsync(store, 1, 30_000, seed: 81);
        using var pool = new RegistryClientPool(Options());
        await new ImagePusher(pool).PushAsync(manifest, store, [ImageReference.Parse($"{registry.Address}/corrupt/app:1")]);

        // Flip one byte where the registry keeps the layer; same length, different digest.
        var layer = manifest.AsManifest().Layers[0];
        var data = registry.BlobDataPath(layer.Digest.Hex);
        var bytes = await File.ReadAllBytesAsync(data);
        bytes[bytes.Length / 2] ^= 0xFF;
        await File.WriteAllBytesAsync(data, bytes);

        var target = new LocalBlobStore(_workspace["pulled"]);
        var error = await Assert.ThrowsAsync<OrchestratorException>(() => new ImagePuller(pool).PullAsync(ImageReference.Parse($"{registry.Address}/corrupt/app:1"), target));
        Assert.Contains(layer.Digest.ToString(), error.Message);
        Assert.Contains(registry.Address, error.Message);
        Assert.False(await target.ContainsAsync(layer.Digest, default));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(target.Root, "tmp")));
    }

    [Fact]
    public async Task A_registry_that_is_down_gives_a_clear_error_after_bounded_retries()
    {
        var deadAddress = $"127.0.0.1:{FreePort.Next()}";
        using var client = new RegistryClient(deadAddress, Options(attempts: 3));
        var error = await Assert.ThrowsAsync<RegistryException>(() => client.GetManifestAsync("app", "1"));
        Assert.Null(error.StatusCode);
        Assert.Contains(deadAddress, error.Message);
        Assert.Contains("app", error.Message);
        Assert.Contains("manifest GET 1", error.Message);
        Assert.Contains("gave up after 3 attempts", error.Message);
    }

    [Fact]
    public async Task A_500_in_the_middle_of_a_chunked_upload_is_retried_and_the_image_is_complete()
    {
        await using var proxy = new FaultInjectingProxy(registry.Address);
        // The second PATCH of any upload session fails once.
        var patches = 0;
        proxy.Fail(r => r.Method == "PATCH" && Interlocked.Increment(ref patches) == 2, HttpStatusCode.InternalServerError);
        var store = new LocalBlobStore(_workspace["store"]);
        var manifest = await TestImages.CreateAsync(store, 1, 200_000, seed: 91);
        using var pool = new RegistryClientPool(Options(chunkThreshold: 1, chunkSize: 32 * 1024));

        await new ImagePusher(pool).PushAsync(manifest, store, [ImageReference.Parse($"{proxy.Address}/faulty/app:1")]);

        Assert.Single(proxy.Requests, r => r.Faulted);
        Assert.True(proxy.Requests.Count(r => r.Method == "POST") >= 3, "the failed upload restarts with a new session");
        var raw = await Skopeo.InspectAsync($"docker://{registry.Address}/faulty/app:1", raw: true);
        Assert.Equal(manifest.AsManifest().Layers[0].Digest.ToString(), raw.GetProperty("layers")[0].GetProperty("digest").GetString());
        await Skopeo.CopyAsync($"docker://{registry.Address}/faulty/app:1", $"oci:{_workspace["check"]}:x");
    }

    [Fact]
    public async Task A_registry_that_keeps_failing_gives_a_clear_error_and_no_manifest()
    {
        await using var proxy = new FaultInjectingProxy(registry.Address);
        proxy.Fail(r => r.Method == "PATCH", HttpStatusCode.ServiceUnavailable, times: 100);
        var store = new LocalBlobStore(_workspace["store"]);
        var manifest = await TestImages.CreateAsync(store, 1, 100_000, seed: 92);
        // Only the layer goes up in chunks (the config, sent alongside it, in one PUT): its three attempts are the faults.
        using var pool = new RegistryClientPool(Options(chunkThreshold: 50_000, chunkSize: 32 * 1024, attempts: 3));

        var error = await Assert.ThrowsAsync<RegistryException>(() => new ImagePusher(pool).PushAsync(manifest, store, [ImageReference.Parse($"{proxy.Address}/down/app:1")]));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Contains(proxy.Address, error.Message);
        Assert.Contains("down/app", error.Message);
        Assert.Contains("blob upload", error.Message);
        Assert.Contains("503", error.Message);
        Assert.Contains("gave up after 3 attempts", error.Message);
        Assert.Equal(3, proxy.Requests.Count(r => r.Faulted));
        Assert.DoesNotContain(proxy.Requests, r => r.Method == "PUT" && r.PathAndQuery.Contains("/manifests/"));
    }

    [Fact]
    public async Task Throttling_on_a_manifest_read_is_retried()
    {
        var store = new LocalBlobStore(_workspace["store"]);
        var manifest = await TestImages.CreateAsync(store, 1, 1_000, seed: 93);
        await using var proxy = new FaultInjectingProxy(registry.Address);
        using var pool = new RegistryClientPool(Options());
        await new ImagePusher(pool).PushAsync(manifest, store, [ImageReference.Parse($"{proxy.Address}/throttled/app:1")]);
        proxy.Fail(r => r.Method == "GET" && r.PathAndQuery.Contains("/manifests/"), HttpStatusCode.TooManyRequests, times: 2);

        var document = await pool.For(proxy.Address).GetManifestAsync("throttled/app", "1");
        Assert.Equal(manifest.Digest, document.Digest);
        Assert.Equal(2, proxy.Requests.Count(r => r.Faulted));
    }

    [Fact]
    public async Task A_manifest_of_unknown_media_type_on_the_wire_is_rejected()
    {
        // distribution refuses to store such manifests, so the proxy plays an old registry serving schema 1.
        await using var proxy = new FaultInjectingProxy(registry.Address);
        const string schema1 = "application/vnd.docker.distribution.manifest.v1+prettyjws";
        var body = System.Text.Encoding.UTF8.GetBytes("{\"schemaVersion\":1,\"name\":\"old/app\",\"tag\":\"1\",\"fsLayers\":[]}");
        proxy.Respond(r => r.PathAndQuery.Contains("/manifests/"), HttpStatusCode.OK, schema1, body);
        using var client = new RegistryClient(proxy.Address, Options());

        var error = await Assert.ThrowsAsync<OrchestratorException>(() => client.GetManifestAsync("old/app", "1"));
        Assert.Contains(schema1, error.Message);
        Assert.Contains($"{proxy.Address}/old/app:1", error.Message);
        Assert.Contains("re-pushed", error.Message);
    }

    [Fact]
    public async Task Layer_uploads_run_in_parallel_but_never_beyond_the_bound()
    {
        await using var proxy = new FaultInjectingProxy(registry.Address)
        {
            CountConcurrent = r => r.Method == "PUT" && r.PathAndQuery.Contains("/blobs/uploads/"),
        };
        var store = new LocalBlobStore(_workspace["store"]);
        var manifest = await TestImages.CreateAsync(store, 8, 150_000, seed: 95);
        using var pool = new RegistryClientPool(Options() with { MaxParallelTransfers = 2 });

        var result = await new ImagePusher(pool).PushAsync(manifest, store, [ImageReference.Parse($"{proxy.Address}/bounded/app:1")]);
        Assert.Equal(9, result[0].Uploaded);
        Assert.InRange(proxy.MaxConcurrency, 1, 2);
        // Every blob, the config among them, before the manifest.
        var requests = proxy.Requests;
        var manifestPut = requests.Single(r => r.Method == "PUT" && r.PathAndQuery.Contains("/manifests/")).Sequence;
        Assert.All(requests.Where(r => r.Method == "PUT" && r.PathAndQuery.Contains("/blobs/")), r => Assert.True(r.Sequence < manifestPut));
    }

    private static readonly byte[] BlobUnknown = System.Text.Encoding.UTF8.GetBytes("{\"errors\":[{\"code\":\"MANIFEST_BLOB_UNKNOWN\",\"message\":\"blob unknown to registry\"}]}");

    [Fact]
    public async Task A_manifest_put_answered_blob_unknown_while_the_registry_links_a_blob_is_put_again()
    {
        // distribution answers so while another client's upload of the same blob rewrites its link in the repository.
        await using var proxy = new FaultInjectingProxy(registry.Address);
        proxy.Respond(r => r.Method == "PUT" && r.PathAndQuery.Contains("/manifests/"), HttpStatusCode.BadRequest, "application/json", BlobUnknown);
        var store = new LocalBlobStore(_workspace["store"]);
        var manifest = await TestImages.CreateAsync(store, 1, 5_000, seed: 96);
        using var pool = new RegistryClientPool(Options());

        await new ImagePusher(pool).PushAsync(manifest, store, [ImageReference.Parse($"{proxy.Address}/relinked/app:1")]);

        Assert.Equal(2, proxy.Requests.Count(r => r.Method == "PUT" && r.PathAndQuery.Contains("/manifests/")));
        Assert.Equal(manifest.Digest.ToString(), (await Skopeo.InspectAsync($"docker://{registry.Address}/relinked/app:1")).GetProperty("Digest").GetString());
    }

    [Fact]
    public async Task A_manifest_whose_blob_stays_unknown_fails_after_three_tries_with_the_registrys_words()
    {
        await using var proxy = new FaultInjectingProxy(registry.Address);
        proxy.Respond(r => r.Method == "PUT" && r.PathAndQuery.Contains("/manifests/"), HttpStatusCode.BadRequest, "application/json", BlobUnknown, times: 10);
        var store = new LocalBlobStore(_workspace["store"]);
        var manifest = await TestImages.CreateAsync(store, 1, 5_000, seed: 97);
        using var pool = new RegistryClientPool(Options());

        var error = await Assert.ThrowsAsync<RegistryException>(() => new ImagePusher(pool).PushAsync(manifest, store, [ImageReference.Parse($"{proxy.Address}/unknown/app:1")]));

        Assert.Equal(3, proxy.Requests.Count(r => r.Method == "PUT" && r.PathAndQuery.Contains("/manifests/")));
        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Contains("MANIFEST_BLOB_UNKNOWN: blob unknown to registry", error.Message);
        Assert.Equal(["MANIFEST_BLOB_UNKNOWN"], error.ErrorCodes);
    }

    public void Dispose() => _workspace.Dispose();
}
