using Orchestrator.Layers;
using Orchestrator.Oci;
using Orchestrator.Oci.Storage;

namespace Orchestrator.Caching;

/// <summary>
/// Keeps the local cache folder small, as BuildKit's garbage collector does: removes the least recently used
/// blobs, layer folders, cache mounts and memos first, and the index entries that named a removed blob (which
/// would be misses anyway). Runs only under the exclusive <see cref="CacheDirectoryLock"/>, i.e. while no build
/// uses the folder, so no layer folder or blob a build stacks or reads can go away beneath it; temporaries are then
/// leftovers of killed builds and go too. <see cref="CollectAfterBuild"/> is the default policy the front end
/// applies after each build (at most once per <see cref="CollectionInterval"/>): at most <see cref="DefaultLimit"/>
/// (10% of the cache's filesystem or 20 GB, whichever is smaller). The compiled-script cache is removed only by a prune of everything.
/// </summary>
public static class CacheGarbageCollector
{
    public const long DefaultMaximumBytes = 20L * 1000 * 1000 * 1000;

    private static readonly LocalCacheItemKind[] Evictable = [LocalCacheItemKind.Blob, LocalCacheItemKind.LayerFolder, LocalCacheItemKind.CacheMount, LocalCacheItemKind.HashMemo];

    /// <summary>10% of the filesystem that holds the cache folder, or 20 GB, whichever is smaller.</summary>
    public static long DefaultLimit(string cacheDirectory)
    {
        try
        {
            var drive = new DriveInfo(Path.GetFullPath(cacheDirectory));
            return drive.TotalSize > 0 ? Math.Min(drive.TotalSize / 10, DefaultMaximumBytes) : DefaultMaximumBytes;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return DefaultMaximumBytes;
        }
    }

    /// <summary>
    /// The default policy after a build: nothing when another build (or a prune) holds the folder (the next build's
    /// collector will look), else temporaries and, above <paramref name="limitBytes"/> (default
    /// <see cref="DefaultLimit"/>), the least recently used items. Null when it did not run.
    /// </summary>
    public static CachePruneResult? CollectAfterBuild(string cacheDirectory, long? limitBytes = null, TimeProvider? clock = null)
    {
        if (!Directory.Exists(cacheDirectory)) return null;
        // Taking stock of a large cache costs a walk of it: once per interval is enough (a rebuild is often under a second).
        var stamp = Path.Combine(cacheDirectory, "collected");
        var now = (clock ?? TimeProvider.System).GetUtcNow();
        if (File.Exists(stamp) && now - File.GetLastWriteTimeUtc(stamp) < CollectionInterval) return null;
        using var held = CacheDirectoryLock.TryExclusive(cacheDirectory);
        if (held is null) return null;
        var result = Prune(cacheDirectory, new CachePrunePolicy { KeepBytes = limitBytes ?? DefaultLimit(cacheDirectory) }, held, clock);
        File.WriteAllBytes(stamp, []);
        File.SetLastWriteTimeUtc(stamp, now.UtcDateTime);
        return result;
    }

    /// <summary>How long after one collection the next build's collector does nothing.</summary>
    public static TimeSpan CollectionInterval { get; } = TimeSpan.FromMinutes(10);

    /// <summary>Prunes by <paramref name="policy"/>; the caller holds the folder's exclusive lock (<paramref name="held"/>).</summary>
    public static CachePruneResult Prune(string cacheDirectory, CachePrunePolicy policy, CacheDirectoryLock held, TimeProvider? clock = null)
    {
        if (!held.IsExclusive) throw new ArgumentException("pruning needs the cache folder's exclusive lock", nameof(held));
        var now = (clock ?? TimeProvider.System).GetUtcNow();
        var inventory = LocalCacheInventory.Read(cacheDirectory);
        var before = inventory.TotalSize;
        var usage = new CacheUsageLog(inventory.CacheDirectory);
        var removed = new List<LocalCacheItem>();
        var remaining = inventory.Items.ToList();

        void Remove(IEnumerable<LocalCacheItem> items)
        {
            foreach (var item in items.ToList())
            {
                if (!Delete(item)) continue;
                removed.Add(item);
                remaining.Remove(item);
                switch (item.Kind)
                {
                    case LocalCacheItemKind.Blob: usage.Forget(CacheUsageLog.Blob, item.Name); break;
                    case LocalCacheItemKind.LayerFolder: usage.Forget(CacheUsageLog.Layer, item.Name); break;
                    case LocalCacheItemKind.CacheMount: usage.Forget(CacheUsageLog.CacheMount, item.Name); break;
                }
            }
        }

        Remove(remaining.Where(i => i.Kind == LocalCacheItemKind.Temporary));
        if (policy.All)
            Remove(remaining.Where(i => i.Kind != LocalCacheItemKind.Other));
        if (policy.OlderThan is { } age)
            Remove(remaining.Where(i => (Evictable.Contains(i.Kind) || i.Kind == LocalCacheItemKind.IndexEntry) && i.LastUse < now - age));
        if (policy.KeepBytes is { } keep)
        {
            var total = remaining.Sum(i => i.Size);
            if (total > keep)
            {
                var oldestFirst = remaining.Where(i => Evictable.Contains(i.Kind)).OrderBy(i => i.LastUse).ThenByDescending(i => i.Size).ToList();
                var victims = new List<LocalCacheItem>();
                foreach (var item in oldestFirst)
                {
                    if (total <= keep) break;
                    victims.Add(item);
                    total -= item.Size;
                }
                Remove(victims);
            }
        }
        if (removed.Any(i => i.Kind == LocalCacheItemKind.Blob))
        {
            var blobs = new LocalBlobStore(inventory.CacheDirectory);
            Remove(remaining.Where(i => i.Kind == LocalCacheItemKind.IndexEntry && LocalCacheIndex.LayerOf(i.Path) is { } layer && !File.Exists(blobs.PathOf(layer))));
        }
        return new CachePruneResult(removed, before, remaining.Sum(i => i.Size));
    }

    private static bool Delete(LocalCacheItem item)
    {
        try
        {
            FolderDeleter.Delete(item.Path);
            return true;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // Left for the next prune (files of another owner, a busy mount); the size stays counted.
            return false;
        }
    }
}
