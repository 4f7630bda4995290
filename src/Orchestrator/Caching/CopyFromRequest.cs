using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Recipes;

namespace Orchestrator.Caching;

/// <summary>
/// What a <c>COPY --from</c> step needs from its caller: the <see cref="SelectionDigest"/> of the entries it copies
/// out of <see cref="From"/>, computed with <see cref="CopySourceHasher"/> over that image's filesystem (a
/// <c>LayerStackView</c> of its layers, or a folder holding it) with <see cref="Sources"/> and <see cref="Chmod"/>.
/// </summary>
/// <param name="Stage">The stage that copies.</param>
/// <param name="From">The other stage or image.</param>
/// <param name="Sources">The sources as written (paths inside that image).</param>
/// <param name="Platform">The copying stage's platform (an image source is read for it).</param>
public sealed record CopyFromRequest(string Stage, ImageSource From, EquatableArray<string> Sources, string? Chmod, Platform Platform)
{
    /// <summary>The last key of the stage <see cref="From"/> names, when the chain knows it (keys of a whole build computed at once).</summary>
    public CacheKey? UpstreamKey { get; init; }

    /// <summary>The copying stage's cache repo, where the digest of a copy may be remembered for other machines.</summary>
    public string? CacheRepo { get; init; }

    /// <summary>
    /// Names what this copy reads as a function of the upstream stage's key: equal keys mean equal files, so the
    /// <see cref="SelectionDigest"/> of the same sources with the same <c>--chmod</c> out of it is the same.
    /// </summary>
    public Digest MemoKey(CacheKey upstreamKey)
    {
        var key = new CacheKeyBuilder().Text("memo", "copy-from-content/1", shown: true).Digest("upstream", upstreamKey.Digest);
        foreach (var source in Sources) key.Text("source", source, shown: true);
        return key.Text("chmod", Chmod, shown: true).Build().Digest;
    }
}
