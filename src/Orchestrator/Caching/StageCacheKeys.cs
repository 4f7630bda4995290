using Orchestrator.Recipes;

namespace Orchestrator.Caching;

/// <summary>The key chain of one stage: its root (null when it waits for another stage) and one entry per step.</summary>
public sealed record StageCacheKeys(string StageName, CacheKeyRoot? Root, PendingKeyReason? RootPending, EquatableArray<StepCacheKey> Steps)
{
    /// <summary>The key of the stage's result (its last step's key, or its root's for a stage without steps); null while pending.</summary>
    public CacheKey? LastKey => Steps.Count > 0 ? Steps[^1].Key : Root?.Key;

    /// <summary>Why <see cref="LastKey"/> is not known yet; null when it is.</summary>
    public PendingKeyReason? Pending => Steps.Count > 0 ? Steps[^1].Pending : RootPending;

    public bool IsComplete => LastKey is not null;

    /// <summary>The ARG values in scope after the last step: a stage built FROM this one starts with them (BuildKit 0.11).</summary>
    public IReadOnlyDictionary<string, string> Args { get; init; } = new Dictionary<string, string>();
}
