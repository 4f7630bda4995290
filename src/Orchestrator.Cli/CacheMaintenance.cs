using Orchestrator.Caching;
using Orchestrator.Execution;
using Orchestrator.Hosting;

namespace Orchestrator.Cli;

/// <summary>
/// The default policy after each local build (<see cref="CacheGarbageCollector.CollectAfterBuild"/>): keep the cache
/// folder under 10% of its disk or 20 GB, whichever is smaller. <c>ORCHESTRATOR_CACHE_KEEP_STORAGE</c> sets another
/// limit (a size, e.g. 5GB) or turns it off (<c>off</c>). It never fails a build: a problem is a note.
/// </summary>
internal static class CacheMaintenance
{
    public const string Variable = "ORCHESTRATOR_CACHE_KEEP_STORAGE";

    /// <summary>The limit after builds for a cache folder: the variable's size, else the default; null when turned off.</summary>
    public static long? Limit(string folder, TextWriter? notes = null)
    {
        var setting = Environment.GetEnvironmentVariable(Variable);
        if (setting is "off") return null;
        if (string.IsNullOrEmpty(setting)) return CacheGarbageCollector.DefaultLimit(folder);
        if (SizeAndDuration.TryParseSize(setting, out var bytes)) return bytes;
        notes?.WriteLine($"note: {Variable}='{setting}' is neither a size (5GB) nor 'off'; the default limit applies");
        return CacheGarbageCollector.DefaultLimit(folder);
    }

    public static void AfterBuild(BuildSettings settings, TextWriter stderr)
    {
        if (settings.Backend != "local" || !OperatingSystem.IsLinux()) return;
        var folder = Path.GetFullPath(settings.CacheDirectory ?? LocalBuildOptions.DefaultCacheDirectory);
        if (Limit(folder, stderr) is not { } limit) return;
        try
        {
            if (CacheGarbageCollector.CollectAfterBuild(folder, limit) is { Removed.Count: > 0 } pruned && pruned.Removed.Any(i => i.Kind != LocalCacheItemKind.Temporary))
                stderr.WriteLine(CacheCommand.Describe(pruned));
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or OrchestratorException)
        {
            stderr.WriteLine($"note: the cache folder {folder} was not pruned: {error.Message}");
        }
    }
}
