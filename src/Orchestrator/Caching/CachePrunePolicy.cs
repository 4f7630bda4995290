namespace Orchestrator.Caching;

/// <summary>
/// What a prune of the local cache removes: with <see cref="All"/> everything; else the items not used for
/// <see cref="OlderThan"/>, then the least recently used until the folder holds at most <see cref="KeepBytes"/>.
/// Temporaries left by killed builds go in every prune.
/// </summary>
public sealed record CachePrunePolicy
{
    public long? KeepBytes { get; init; }

    public TimeSpan? OlderThan { get; init; }

    public bool All { get; init; }
}
