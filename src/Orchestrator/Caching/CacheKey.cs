using Orchestrator.Oci;
using Orchestrator.Recipes;

namespace Orchestrator.Caching;

/// <summary>
/// An exact cache key: the SHA-256 of a step's length-prefixed inputs (see docs/caching.md), with the
/// human-readable list of those inputs in the order they were hashed (for annotations and "why it missed").
/// </summary>
public sealed record CacheKey(Digest Digest, EquatableArray<CacheKeyPart> Parts)
{
    /// <summary>The value of the part named <paramref name="name"/>, or null when the key has no such part.</summary>
    public CacheKeyPart? Part(string name) => Parts.FirstOrDefault(p => p.Name == name);

    public override string ToString() => Digest.ToString();
}
