using System.Collections.Concurrent;
using Orchestrator.Caching;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Registry;
using Orchestrator.Oci.Storage;
using Orchestrator.Planning;
using Orchestrator.Recipes;

namespace Orchestrator.Execution;

/// <summary>
/// The cache status of a whole build before anything runs (<c>--plan</c>): every key that can be known now (bases
/// resolved, context files hashed), looked up as a build would — the local cache, then each stage's cache repo — and
/// for each step that would run, the first input that differs from its last build on this machine or, where this
/// machine never built it, the last build its cache repo recorded (<see cref="StepCache.LastAsync"/>). Nothing is
/// pulled, extracted, run or pushed. A step whose key waits for a stage to be built (<c>COPY --from</c>) is pending.
/// </summary>
public sealed class CachePlanner(LocalBuildOptions options)
{
    public async Task<CachePlan> PlanAsync(BuildGraph graph, CancellationToken cancellationToken)
    {
        if (options.NoCache) return CachePlan.None with { Note = "cache not consulted (--no-cache): every step runs" };
        // A plan should answer quickly: one retry, not a build's patience.
        var registry = options.Registry with { Retry = options.Registry.Retry with { MaxAttempts = Math.Min(2, options.Registry.Retry.MaxAttempts) } };
        using var registries = new RegistryClientPool(registry);
        using var cache = new StepCache(options, new BuildBlobs(new LocalBlobStore(options.CacheDirectory)), registries);
        var inputs = new LocalCacheKeyInputs(new BaseResolver(registries), new Dictionary<string, StageResult>(), cache, "plan", (_, _) => Task.CompletedTask);
        var platform = options.Platform is null ? Platform.Host : Platform.Parse(options.Platform);
        IReadOnlyDictionary<string, StageCacheKeys> keys;
        try
        {
            keys = await new CacheKeyChain(inputs, cache.Hasher).ComputeAsync(graph.Nodes.Select(n => n.Stage).ToList(), platform, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is OrchestratorException or IOException or UnauthorizedAccessException)
        {
            return CachePlan.None with { Note = "cache status unknown: " + error.Message };
        }

        var warnings = new ConcurrentQueue<string>();
        var lookups = graph.Nodes.ToDictionary(n => n.Name, n => cache.LookupAsync(n.Stage, keys[n.Stage.Name], warnings.Enqueue, cancellationToken));
        await Task.WhenAll(lookups.Values).ConfigureAwait(false);
        var histories = graph.Nodes.ToDictionary(n => n.Name, n => cache.LastAsync(n.Stage, cancellationToken));
        await Task.WhenAll(histories.Values).ConfigureAwait(false);
        var nodes = graph.Nodes.ToDictionary(
            n => n.Name,
            n => Describe(keys[n.Stage.Name], lookups[n.Name].Result, histories[n.Name].Result, cache.EntryKey),
            StringComparer.Ordinal);
        return new CachePlan(nodes, warnings.Distinct().FirstOrDefault());
    }

    private static NodeCachePlan Describe(StageCacheKeys keys, IReadOnlyList<CachedStep?> found, StepHistory.Entry? last, Func<CacheKey, Digest> entryKey)
    {
        var steps = new List<StepCachePlan>();
        for (var i = 0; i < keys.Steps.Count; i++)
        {
            var step = keys.Steps[i];
            if (step.Key is not { } key)
                steps.Add(new StepCachePlan(StepCacheStatus.Pending, null, step.Pending?.Message));
            else if (found[i] is not null)
                steps.Add(new StepCachePlan(StepCacheStatus.Cached, entryKey(key).ToString(), null));
            else
                steps.Add(new StepCachePlan(StepCacheStatus.Run, entryKey(key).ToString(), WhyItRuns(keys, i, last)));
        }
        return new NodeCachePlan(steps);
    }

    /// <summary>The first input of step <paramref name="index"/> that differs from the stage's last build here.</summary>
    private static string WhyItRuns(StageCacheKeys keys, int index, StepHistory.Entry? last)
    {
        var key = keys.Steps[index].Key!;
        if (last is null || index >= last.Steps.Count || last.Steps[index] is not { } before) return "not in the cache";
        var difference = CacheKeyDifference.First(before, key.Parts);
        if (difference is null) return "built before with the same inputs, but its entry is gone (pruned or expired)";
        if (difference.Part != "parent") return difference.Description;
        if (index > 0) return $"step {index} changed";
        return keys.Root switch
        {
            CacheKeyRoot.Stage stage => $"stage '{stage.Name}' changed",
            { } root when last.Root is not null && CacheKeyDifference.First(last.Root, root.Key.Parts) is { } rootDifference => rootDifference.Description,
            _ => "the base changed",
        };
    }
}
