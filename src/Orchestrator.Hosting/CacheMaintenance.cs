using Orchestrator.Caching;
using Orchestrator.Execution;

namespace Orchestrator.Hosting;

/// <summary>
/// The default policy after each local build (<see cref="CacheGarbageCollector.CollectAfterBuild"/>): keep the cache
/// folder under 10% of its disk or 20 GB, whichever is smaller. <c>ORCHESTRATOR_CACHE_KEEP_STORAGE</c> sets another
/// limit (a size, e.g. 5GB) or turns it off (<c>off</c>). It never fails a build: a problem is a note.
/// </summary>
internal static class CacheMaintenance
{
    public const string Variable = "ORCHESTRATOR_CACHE_KEEP_STORAGE";

    /// <summary>The limit after builds for a cache folder: the variable's size, else the default; null when turned off.</summary>
    public static long? Limit(string folder, Action<string>? note = null)
    {
        var setting = Environment.GetEnvironmentVariable(Variable);
        if (setting is "off") return null;
        if (string.IsNullOrEmpty(setting)) return CacheGarbageCollector.DefaultLimit(folder);
        if (SizeAndDuration.TryParseSize(setting, out var bytes)) return bytes;
        note?.Invoke($"note: {Variable}='{setting}' is neither a size (5GB) nor 'off'; the default limit applies");
        return CacheGarbageCollector.DefaultLimit(folder);
    }

    /// <summary>Applies the limit after a local build; <paramref name="note"/> gets what was removed, or why nothing could be.</summary>
    public static void AfterBuild(BuildSettings settings, Action<string> note)
    {
        if (settings.Backend != "local" || !OperatingSystem.IsLinux()) return;
        var folder = Path.GetFullPath(settings.CacheDirectory ?? LocalBuildOptions.DefaultCacheDirectory);
        if (Limit(folder, note) is not { } limit) return;
        try
        {
            if (CacheGarbageCollector.CollectAfterBuild(folder, limit) is { Removed.Count: > 0 } pruned && pruned.Removed.Any(i => i.Kind != LocalCacheItemKind.Temporary))
                note(Describe(pruned));
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or OrchestratorException)
        {
            note($"note: the cache folder {folder} was not pruned: {error.Message}");
        }
    }

    /// <summary>One line on what a prune removed, by kind.</summary>
    internal static string Describe(CachePruneResult pruned)
    {
        var kinds = pruned.Removed.GroupBy(i => i.Kind).OrderBy(g => g.Key).Select(g => $"{g.Count()} {KindName(g.Key)}");
        var what = pruned.Removed.Count == 0 ? "nothing to remove" : $"removed {string.Join(", ", kinds)}, {SizeAndDuration.FormatSize(pruned.Freed)}";
        return $"cache: {what}; it holds {SizeAndDuration.FormatSize(pruned.SizeAfter)}";
    }

    internal static string KindName(LocalCacheItemKind kind) => kind switch
    {
        LocalCacheItemKind.Blob => "blobs",
        LocalCacheItemKind.LayerFolder => "layer folders",
        LocalCacheItemKind.IndexEntry => "index entries",
        LocalCacheItemKind.CacheMount => "cache mounts",
        LocalCacheItemKind.HashMemo => "hash memos",
        LocalCacheItemKind.ScriptCache => "scripts",
        LocalCacheItemKind.UsageRecord => "usage records",
        LocalCacheItemKind.Temporary => "temporaries",
        _ => "other",
    };
}
