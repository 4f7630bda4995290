using Orchestrator.Oci;
using Orchestrator.Oci.Documents;

namespace Orchestrator.Caching;

/// <summary>
/// What one step produced, found again by its cache key: the layer it added (null for a step that only changed
/// the config, or whose layer was empty). The config itself is never stored: replaying the config part of the
/// stage's instructions gives it again, exactly, without touching a file.
/// </summary>
public sealed record CachedStep(Digest Key, Descriptor? Layer, Digest? DiffId, DateTimeOffset Created)
{
    public bool HasLayer => Layer is not null && DiffId is not null;
}
