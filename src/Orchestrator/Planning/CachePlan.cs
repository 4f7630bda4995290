namespace Orchestrator.Planning;

/// <summary>What the cache says of every step before anything runs: the part of a plan that <c>--plan</c> shows per step.</summary>
/// <param name="Nodes">By node name; a node missing here has no cache status (a plan made without looking).</param>
/// <param name="Note">One line about the whole lookup (e.g. a cache repo that cannot be read), or null.</param>
public sealed record CachePlan(IReadOnlyDictionary<string, NodeCachePlan> Nodes, string? Note = null)
{
    public static CachePlan None { get; } = new(new Dictionary<string, NodeCachePlan>());

    public NodeCachePlan? For(string node) => Nodes.GetValueOrDefault(node);
}

/// <summary>The cache status of one node's steps, in order.</summary>
public sealed record NodeCachePlan(IReadOnlyList<StepCachePlan> Steps)
{
    public int Hits => Steps.Count(s => s.Status == StepCacheStatus.Cached);

    public int ToRun => Steps.Count - Hits;

    /// <summary>Every step hits: the node is not executed, only its image is written.</summary>
    public bool AllCached => Steps.Count > 0 && Hits == Steps.Count;
}

/// <summary>One step's status, the tag of its cache entry when its key is known, and why it runs.</summary>
/// <param name="Key">The entry's key (<c>sha256:…</c>), as tagged in the cache repo; null while pending.</param>
/// <param name="Reason">For a step that runs: the first input that differs from its last build, or why its key is not known yet.</param>
public sealed record StepCachePlan(StepCacheStatus Status, string? Key, string? Reason);

public enum StepCacheStatus
{
    /// <summary>Found in the local cache or the cache repo: it will not run.</summary>
    Cached,

    /// <summary>Its key is known and nothing has it: it runs.</summary>
    Run,

    /// <summary>Its key depends on something built or read during the build (a <c>COPY --from</c> stage, a URL): it may still hit then.</summary>
    Pending,
}
