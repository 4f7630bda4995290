using System.Security.Cryptography;
using System.Text.Json;
using Orchestrator.Layers;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Storage;

namespace Orchestrator.Caching;

/// <summary>
/// The local cache in <c>--cache-dir</c>: step key → <see cref="CachedStep"/>, one small JSON file per key under
/// <c>cache-index/sha256/</c>. An entry is written only once its layer blob is complete in the blob store
/// (the caller's duty), through a temporary file renamed into place, so a reader never sees half an entry and a
/// build killed at any point leaves nothing a later build takes for complete. Two builds writing the same key
/// both succeed: the last rename wins with an equivalent entry. A damaged entry, or one whose layer blob is gone,
/// is a miss, never a failure.
/// <para>
/// Over a blob store, an entry also records the <see cref="FileIdentity"/> its layer blob had when the entry was
/// written (the blob store verified the bytes then). A hit whose blob still has that identity is taken at the cost
/// of one stat; a blob with another identity (rewritten, touched, copied back) is hashed once: a blob whose bytes
/// are not the layer's is deleted and the step is a miss with a warning, a good one is recorded again. A hit
/// records its use (the entry's modification time, and the blob's and layer's in the <see cref="CacheUsageLog"/>),
/// so pruning removes the least recently used first.
/// </para>
/// </summary>
public sealed class LocalCacheIndex
{
    private const int FormatVersion = 1;
    private readonly string _folder;
    private readonly string _temp;
    private readonly Func<Digest, bool> _hasBlob;
    private readonly Func<Digest, string>? _blobPath;
    private readonly CacheUsageLog _usage;

    /// <param name="cacheDirectory">The build's cache folder.</param>
    /// <param name="hasBlob">Whether the blob store holds a blob; an entry whose layer is missing there is a miss.</param>
    public LocalCacheIndex(string cacheDirectory, Func<Digest, bool> hasBlob)
    {
        _folder = FolderOf(cacheDirectory);
        _temp = Path.Combine(cacheDirectory, "cache-index", "tmp");
        _hasBlob = hasBlob;
        _usage = new CacheUsageLog(cacheDirectory);
    }

    /// <summary>An index over the blob store of the same cache folder, checking the layer blobs of its hits.</summary>
    public LocalCacheIndex(string cacheDirectory, LocalBlobStore blobs) : this(cacheDirectory, digest => File.Exists(blobs.PathOf(digest)))
    {
        _blobPath = blobs.PathOf;
    }

    /// <summary>Where a cache folder keeps its entries: <c>cache-index/sha256/&lt;key hex&gt;.json</c>.</summary>
    public static string FolderOf(string cacheDirectory) => Path.Combine(cacheDirectory, "cache-index", "sha256");

    /// <summary>The layer blob an entry file names, or null (no layer, or not a readable entry).</summary>
    public static Digest? LayerOf(string entryPath)
    {
        try
        {
            var stored = JsonSerializer.Deserialize(File.ReadAllBytes(entryPath), CacheJsonContext.Default.IndexEntry);
            return stored?.LayerDigest is { } text && Digest.TryParse(text, out var layer) ? layer : null;
        }
        catch (Exception error) when (error is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <param name="key">The step's index key.</param>
    /// <param name="warn">Told why an entry that exists is not taken when its blob is missing or damaged.</param>
    public CachedStep? TryGet(Digest key, Action<string>? warn = null)
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
        {
            Used(path, null);
            return new CachedStep(key, null, null, stored.Created);
        }
        if (!Digest.TryParse(stored.LayerDigest, out var layer) || !Digest.TryParse(stored.DiffId, out var diffId) || stored.LayerMediaType is null)
            return null;
        var step = new CachedStep(key, new Descriptor(stored.LayerMediaType, layer, stored.LayerSize), diffId, stored.Created);
        if (_blobPath is null ? !_hasBlob(layer) : !BlobIsIntact(step, stored, warn)) return null;
        Used(path, step);
        return step;
    }

    public void Put(CachedStep step)
    {
        FileIdentity? blob = step.Layer is { } layer && _blobPath is not null && Libc.LinkStatus(_blobPath(layer.Digest)) is { } status ? FileIdentity.Of(status) : null;
        Write(new Stored(FormatVersion, step.Key.ToString(), step.Layer?.MediaType, step.Layer?.Digest.ToString(), step.Layer?.Size ?? 0, step.DiffId?.ToString(), step.Created, blob));
    }

    private void Write(Stored stored)
    {
        Directory.CreateDirectory(_folder);
        Directory.CreateDirectory(_temp);
        var temp = Path.Combine(_temp, $"{Guid.NewGuid():N}.json");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                JsonSerializer.Serialize(file, stored, CacheJsonContext.Default.IndexEntry);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, Path.Combine(_folder, Digest.Parse(stored.Key).Hex + ".json"), overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>The entry's layer blob is there and holds the layer's bytes; a damaged blob is deleted, so the step that runs again stores a good one.</summary>
    private bool BlobIsIntact(CachedStep step, Stored stored, Action<string>? warn)
    {
        var layer = step.Layer!;
        var path = _blobPath!(layer.Digest);
        if (Libc.LinkStatus(path) is not { } status)
        {
            warn?.Invoke($"warning: the local cache entry {step.Key.Short} names layer blob {layer.Digest}, which is no longer in the blob store; the step runs again");
            return false;
        }
        var identity = FileIdentity.Of(status);
        if (identity == stored.BlobIdentity) return true;
        Digest actual;
        long size;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 20, FileOptions.SequentialScan);
            actual = Digest.FromHash(SHA256.HashData(file));
            size = file.Length;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            warn?.Invoke($"warning: the local cache entry {step.Key.Short}: layer blob {layer.Digest} cannot be read ({error.Message}); the step runs again");
            return false;
        }
        if (actual != layer.Digest || size != layer.Size)
        {
            warn?.Invoke($"warning: the local cache entry {step.Key.Short}: layer blob {layer.Digest} is corrupt (its {size} bytes hash to {actual}); it was removed and the step runs again");
            try
            {
                File.Delete(path);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
            }
            return false;
        }
        try
        {
            Write(stored with { BlobIdentity = identity });
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // Checked again next time; the hit stands.
        }
        return true;
    }

    private void Used(string entryPath, CachedStep? step)
    {
        try
        {
            File.SetLastWriteTimeUtc(entryPath, DateTime.UtcNow);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
        }
        if (step is { Layer: { } layer, DiffId: { } diffId })
        {
            _usage.Touch(CacheUsageLog.Blob, layer.Digest.Hex);
            _usage.Touch(CacheUsageLog.Layer, diffId.Hex);
        }
    }

    private string PathOf(Digest key) => Path.Combine(_folder, key.Hex + ".json");

    internal sealed record Stored(int Version, string Key, string? LayerMediaType, string? LayerDigest, long LayerSize, string? DiffId, DateTimeOffset Created, FileIdentity? BlobIdentity = null);
}
