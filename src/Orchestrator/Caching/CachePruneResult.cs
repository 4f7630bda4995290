namespace Orchestrator.Caching;

/// <summary>What a prune removed, and the folder's size before and after.</summary>
public sealed record CachePruneResult(IReadOnlyList<LocalCacheItem> Removed, long SizeBefore, long SizeAfter)
{
    public long Freed => SizeBefore - SizeAfter;
}
