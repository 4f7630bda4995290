using System.Text;
using System.Text.Json;
using Orchestrator.Caching;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Registry;
using Orchestrator.Oci.Storage;
using Orchestrator.Testing;
using Orchestrator.Tests.Layers;

namespace Orchestrator.Tests.Caching;

/// <summary>
/// The cache repository against a real registry (Debian's docker-registry): entries written as one-layer (or
/// no-layer) OCI images tagged by key, read back in one concurrent wave, expired after the time to live, and
/// readable by skopeo, a client we did not write.
/// </summary>
public sealed class RegistryCacheRepositoryTests(RegistryFixture registry) : IClassFixture<RegistryFixture>, IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly RegistryClientPool _registries = new(new RegistryClientOptions { Retry = RetryOptions.Fast });
    private readonly SettableClock _clock = new(DateTimeOffset.Parse("2026-12-01T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    public void Dispose()
    {
        _registries.Dispose();
        _temp.Dispose();
    }

    private RegistryCacheRepository Repository(string name = "team/cache", TimeSpan? ttl = null) =>
        new(_registries, ImageReference.Parse($"{registry.Address}/{name}"), ttl, clock: _clock);

    private static CacheKey Key(string text) =>
        new(Digest.Sha256(Encoding.UTF8.GetBytes(text)), [new CacheKeyPart("instruction", "RUN"), new CacheKeyPart("command", Digest.Sha256(Encoding.UTF8.GetBytes("make " + text)).ToString())]);

    /// <summary>A small gzip layer in a local blob store: its descriptor and diffID.</summary>
    private async Task<(LocalBlobStore Blobs, Descriptor Layer, Digest DiffId)> LayerAsync(string content)
    {
        var blobs = new LocalBlobStore(Path.Combine(_temp.Path, "blobs"));
        var tar = new TestTar().File("app/" + content + ".txt", content).Plain();
        var gzip = TestTar.Compress(tar, Orchestrator.Layers.LayerCompression.Gzip);
        var layer = new Descriptor(MediaTypes.OciLayerGzip, Digest.Sha256(gzip), gzip.Length);
        await blobs.PutAsync(layer, new MemoryStream(gzip), CancellationToken.None);
        return (blobs, layer, Digest.Sha256(tar));
    }

    [Fact]
    public async Task A_step_entry_reads_back_and_skopeo_sees_an_image_with_the_keys_inputs()
    {
        var (blobs, layer, diffId) = await LayerAsync("built");
        var key = Key("step-1");
        var cache = Repository();

        await cache.PutAsync(key, layer, diffId, blobs, Platform.LinuxAmd64, CancellationToken.None);
        var hits = await cache.LookupAsync([key.Digest], CancellationToken.None);

        var hit = Assert.Single(hits).Value;
        Assert.Equal(layer.Digest, hit.Layer!.Digest);
        Assert.Equal(layer.Size, hit.Layer.Size);
        Assert.Equal(diffId, hit.DiffId);
        Assert.Equal(_clock.GetUtcNow(), hit.Created);

        var reference = $"docker://{registry.Address}/team/cache:{RegistryCacheRepository.TagOf(key.Digest)}";
        using var inspect = JsonDocument.Parse((await ExternalTool.RunAsync("skopeo", "inspect", "--tls-verify=false", "--raw", reference)).EnsureSuccess().StandardOutput);
        var annotations = inspect.RootElement.GetProperty("annotations");
        Assert.Equal(key.Digest.ToString(), annotations.GetProperty(RegistryCacheRepository.KeyAnnotation).GetString());
        Assert.Contains("\"instruction\",\"RUN\"", annotations.GetProperty(RegistryCacheRepository.InputsAnnotation).GetString());
        Assert.Equal(layer.Digest.ToString(), inspect.RootElement.GetProperty("layers")[0].GetProperty("digest").GetString());
        using var config = JsonDocument.Parse((await ExternalTool.RunAsync("skopeo", "inspect", "--tls-verify=false", "--config", reference)).EnsureSuccess().StandardOutput);
        Assert.Equal(diffId.ToString(), config.RootElement.GetProperty("rootfs").GetProperty("diff_ids")[0].GetString());
    }

    [Fact]
    public async Task A_config_only_step_is_an_entry_without_layers()
    {
        var key = Key("env-step");
        var cache = Repository();

        await cache.PutAsync(key, null, null, new LocalBlobStore(Path.Combine(_temp.Path, "blobs")), Platform.LinuxAmd64, CancellationToken.None);

        var hit = Assert.Single(await cache.LookupAsync([key.Digest], CancellationToken.None)).Value;
        Assert.False(hit.HasLayer);
    }

    [Fact]
    public async Task Entries_without_layer_share_one_config_blob_whose_bytes_hold_no_time()
    {
        var cache = Repository("team/shared-config");
        var blobs = new LocalBlobStore(Path.Combine(_temp.Path, "blobs"));
        await cache.PutAsync(Key("env-a"), null, null, blobs, Platform.LinuxAmd64, CancellationToken.None);
        _clock.Advance(TimeSpan.FromMinutes(5));
        await cache.PutAsync(Key("env-b"), null, null, blobs, Platform.LinuxAmd64, CancellationToken.None);

        async Task<JsonElement> ManifestAsync(CacheKey key)
        {
            var reference = $"docker://{registry.Address}/team/shared-config:{RegistryCacheRepository.TagOf(key.Digest)}";
            return JsonDocument.Parse((await ExternalTool.RunAsync("skopeo", "inspect", "--tls-verify=false", "--raw", reference)).EnsureSuccess().StandardOutput).RootElement;
        }
        var a = await ManifestAsync(Key("env-a"));
        var b = await ManifestAsync(Key("env-b"));
        Assert.Equal(a.GetProperty("config").GetProperty("digest").GetString(), b.GetProperty("config").GetProperty("digest").GetString());
        // Each entry keeps its own time, in its manifest.
        Assert.NotEqual(a.GetProperty("annotations").GetProperty(RegistryCacheRepository.CreatedAnnotation).GetString(),
            b.GetProperty("annotations").GetProperty(RegistryCacheRepository.CreatedAnnotation).GetString());
        var hits = await cache.LookupAsync([Key("env-a").Digest, Key("env-b").Digest], CancellationToken.None);
        Assert.Equal(_clock.GetUtcNow() - TimeSpan.FromMinutes(5), hits[Key("env-a").Digest].Created);
        Assert.Equal(_clock.GetUtcNow(), hits[Key("env-b").Digest].Created);
    }

    [Fact]
    public async Task Many_keys_are_looked_up_in_one_call_and_only_stored_ones_hit()
    {
        var (blobs, layer, diffId) = await LayerAsync("many");
        var cache = Repository("team/many");
        var stored = Enumerable.Range(0, 5).Select(i => Key("stored-" + i)).ToList();
        foreach (var key in stored) await cache.PutAsync(key, layer, diffId, blobs, Platform.LinuxAmd64, CancellationToken.None);
        var asked = stored.Select(k => k.Digest).Concat(Enumerable.Range(0, 200).Select(i => Key("absent-" + i).Digest)).ToList();

        var hits = await cache.LookupAsync(asked, CancellationToken.None);

        Assert.Equal(stored.Select(k => k.Digest.ToString()).Order(StringComparer.Ordinal), hits.Keys.Select(k => k.ToString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_entry_older_than_the_time_to_live_is_a_miss()
    {
        var key = Key("old");
        await Repository(ttl: TimeSpan.FromHours(336)).PutAsync(key, null, null, new LocalBlobStore(Path.Combine(_temp.Path, "blobs")), Platform.LinuxAmd64, CancellationToken.None);

        _clock.Advance(TimeSpan.FromHours(335));
        Assert.Single(await Repository(ttl: TimeSpan.FromHours(336)).LookupAsync([key.Digest], CancellationToken.None));
        _clock.Advance(TimeSpan.FromHours(2));
        Assert.Empty(await Repository(ttl: TimeSpan.FromHours(336)).LookupAsync([key.Digest], CancellationToken.None));
    }

    [Fact]
    public async Task An_entry_under_another_keys_tag_is_a_miss()
    {
        var (blobs, layer, diffId) = await LayerAsync("moved");
        var real = Key("real");
        var other = Key("other");
        var cache = Repository("team/moved");
        await cache.PutAsync(real, layer, diffId, blobs, Platform.LinuxAmd64, CancellationToken.None);
        var client = _registries.For(registry.Address);
        var manifest = await client.GetManifestAsync("team/moved", RegistryCacheRepository.TagOf(real.Digest));
        await client.PutManifestAsync("team/moved", RegistryCacheRepository.TagOf(other.Digest), manifest);

        Assert.Empty(await cache.LookupAsync([other.Digest], CancellationToken.None));
    }

    [Fact]
    public async Task An_unreachable_cache_repo_is_an_error_that_names_it()
    {
        var address = $"127.0.0.1:{FreePort.Next()}";
        var cache = new RegistryCacheRepository(_registries, ImageReference.Parse($"{address}/team/cache"));

        var error = await Assert.ThrowsAnyAsync<OrchestratorException>(() => cache.LookupAsync([Key("x").Digest], CancellationToken.None));

        Assert.Contains(address, error.Message);
    }

    [Fact]
    public void A_cache_repo_with_a_tag_is_refused_with_the_fix()
    {
        var error = Assert.Throws<OrchestratorException>(() => new RegistryCacheRepository(_registries, ImageReference.Parse($"{registry.Address}/team/cache:v1")));
        Assert.Contains("repository only", error.Message);
    }
}
