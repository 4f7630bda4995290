using System.Text.Json;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;

namespace Orchestrator.Caching;

/// <summary>
/// The local cache in <c>--cache-dir</c>: step key → <see cref="CachedStep"/>, one small JSON file per key under
/// <c>cache-index/sha256/</c>. An entry is written only once its layer blob is complete in the blob store
/// (the caller's duty), through a temporary file renamed into place, so a reader never sees half an entry and a
/// build killed at any point leaves nothing a later build takes for complete. Two builds writing the same key
/// both succeed: the last rename wins with an equivalent entry. A damaged entry, or one whose layer blob is gone,
/// is a miss, never a failure.
/// </summary>
public sealed class LocalCacheIndex
{
    private const int FormatVersion = 1;
    private readonly string _folder;
    private readonly string _temp;
    private readonly Func<Digest, bool> _hasBlob;

    /// <param name="cacheDirectory">The build's cache folder.</param>
    /// <param name="hasBlob">Whether the blob store holds a blob; an entry whose layer is missing there is a miss.</param>
    public LocalCacheIndex(string cacheDirectory, Func<Digest, bool> hasBlob)
    {
        _folder = Path.Combine(cacheDirectory, "cache-index", "sha256");
        _temp = Path.Combine(cacheDirectory, "cache-index", "tmp");
        _hasBlob = hasBlob;
    }

    public CachedStep? TryGet(Digest key)
    {
        var path = PathOf(key);
        Stored? stored;
        try
        {
            stored = JsonSerializer.Deserialize(File.ReadAllBytes(path), CacheJsonContext.Default.IndexEntry);
        }
        catch (Exception error) when (error is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
        if (stored is null || stored.Version != FormatVersion || stored.Key != key.ToString()) return null;
        if (stored.LayerDigest is null)
            return new CachedStep(key, null, null, stored.Created);
        if (!Digest.TryParse(stored.LayerDigest, out var layer) || !Digest.TryParse(stored.DiffId, out var diffId) || stored.LayerMediaType is null || !_hasBlob(layer))
            return null;
        return new CachedStep(key, new Descriptor(stored.LayerMediaType, layer, stored.LayerSize), diffId, stored.Created);
    }

    public void Put(CachedStep step)
    {
        Directory.CreateDirectory(_folder);
        Directory.CreateDirectory(_temp);
        var stored = new Stored(FormatVersion, step.Key.ToString(), step.Layer?.MediaType, step.Layer?.Digest.ToString(), step.Layer?.Size ?? 0, step.DiffId?.ToString(), step.Created);
        var temp = Path.Combine(_temp, $"{Guid.NewGuid():N}.json");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                JsonSerializer.Serialize(file, stored, CacheJsonContext.Default.IndexEntry);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, PathOf(step.Key), overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private string PathOf(Digest key) => Path.Combine(_folder, key.Hex + ".json");

    internal sealed record Stored(int Version, string Key, string? LayerMediaType, string? LayerDigest, long LayerSize, string? DiffId, DateTimeOffset Created);
}
