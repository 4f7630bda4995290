namespace Orchestrator.Caching;

/// <summary>What a part of the local cache folder is (<see cref="LocalCacheInventory"/>).</summary>
public enum LocalCacheItemKind
{
    /// <summary><c>blobs/sha256/&lt;hex&gt;</c>: layers, configs and manifests (pulled, built, cached).</summary>
    Blob,

    /// <summary><c>layers/sha256/&lt;diffID hex&gt;/</c>: an extracted layer.</summary>
    LayerFolder,

    /// <summary><c>cache-index/sha256/&lt;key hex&gt;.json</c>: a step's local cache entry.</summary>
    IndexEntry,

    /// <summary><c>cache-mounts/&lt;id&gt;/</c>: the folder of a <c>RUN --mount=type=cache</c>.</summary>
    CacheMount,

    /// <summary><c>hash-memo/*.memo</c>: memoised content digests of a build context.</summary>
    HashMemo,

    /// <summary><c>scripts/&lt;key&gt;/</c>: compiled build scripts.</summary>
    ScriptCache,

    /// <summary><c>usage/</c>: when each item was last used.</summary>
    UsageRecord,

    /// <summary>Leftovers of writes in progress or of killed builds: <c>tmp/</c>, <c>layers/tmp/</c>, <c>cache-index/tmp/</c>, memo temporaries.</summary>
    Temporary,

    /// <summary>Anything else in the folder; never pruned.</summary>
    Other,
}

/// <summary>One prunable part of the local cache folder, its size in bytes (apparent sizes of the files it holds) and its last use.</summary>
public sealed record LocalCacheItem(LocalCacheItemKind Kind, string Name, string Path, long Size, DateTimeOffset LastUse);
