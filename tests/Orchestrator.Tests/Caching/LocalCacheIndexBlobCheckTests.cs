using System.Text;
using Orchestrator.Caching;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Storage;
using Orchestrator.Tests.Layers;

namespace Orchestrator.Tests.Caching;

/// <summary>The index over a real blob store: a hit costs a stat while its blob is untouched, and a blob that changed is checked by its bytes.</summary>
public sealed class LocalCacheIndexBlobCheckTests : IDisposable
{
    private readonly TempFolder _cache = new();

    public void Dispose() => _cache.Dispose();

    private async Task<(LocalBlobStore Blobs, CachedStep Step)> StoredStepAsync()
    {
        var blobs = new LocalBlobStore(_cache.Path);
        var bytes = Encoding.UTF8.GetBytes(new string('z', 10_000));
        var layer = new Descriptor(MediaTypes.OciLayerGzip, Digest.Sha256(bytes), bytes.Length);
        await blobs.PutAsync(layer, new MemoryStream(bytes), CancellationToken.None);
        var step = new CachedStep(Digest.Sha256("key"u8), layer, Digest.Sha256("diff"u8), DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
        new LocalCacheIndex(_cache.Path, blobs).Put(step);
        return (blobs, step);
    }

    [Fact]
    public async Task A_blob_rewritten_with_the_same_bytes_is_still_a_hit_without_a_warning()
    {
        var (blobs, step) = await StoredStepAsync();
        var path = blobs.PathOf(step.Layer!.Digest);
        File.WriteAllBytes(path, File.ReadAllBytes(path)); // new ctime and mtime, same content
        var warnings = new List<string>();

        Assert.Equal(step, new LocalCacheIndex(_cache.Path, blobs).TryGet(step.Key, warnings.Add));
        Assert.Equal(step, new LocalCacheIndex(_cache.Path, blobs).TryGet(step.Key, warnings.Add));
        Assert.Empty(warnings);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public async Task A_blob_with_other_bytes_is_a_miss_with_a_warning_and_is_removed()
    {
        var (blobs, step) = await StoredStepAsync();
        var path = blobs.PathOf(step.Layer!.Digest);
        var bytes = File.ReadAllBytes(path);
        bytes[^1] = (byte)'y';
        File.WriteAllBytes(path, bytes);
        var warnings = new List<string>();

        Assert.Null(new LocalCacheIndex(_cache.Path, blobs).TryGet(step.Key, warnings.Add));

        var warning = Assert.Single(warnings);
        Assert.Contains($"layer blob {step.Layer.Digest} is corrupt", warning);
        Assert.False(File.Exists(path));
        Assert.Null(new LocalCacheIndex(_cache.Path, blobs).TryGet(step.Key, warnings.Add));
        Assert.Contains("no longer in the blob store", warnings[^1]);
    }

    [Fact]
    public async Task A_hit_records_its_use_of_the_entry_blob_and_layer()
    {
        var (blobs, step) = await StoredStepAsync();
        var usage = new CacheUsageLog(_cache.Path);
        var longAgo = DateTime.UtcNow.AddDays(-30);
        var entry = Path.Combine(LocalCacheIndex.FolderOf(_cache.Path), step.Key.Hex + ".json");
        File.SetLastWriteTimeUtc(entry, longAgo);
        File.SetLastWriteTimeUtc(usage.PathOf(CacheUsageLog.Blob, step.Layer!.Digest.Hex), longAgo);

        Assert.NotNull(new LocalCacheIndex(_cache.Path, blobs).TryGet(step.Key));

        Assert.True(File.GetLastWriteTimeUtc(entry) > longAgo.AddDays(29));
        Assert.True(usage.LastUse(CacheUsageLog.Blob, step.Layer.Digest.Hex) > longAgo.AddDays(29));
        Assert.True(usage.LastUse(CacheUsageLog.Layer, step.DiffId!.Value.Hex) > longAgo.AddDays(29));
    }
}
