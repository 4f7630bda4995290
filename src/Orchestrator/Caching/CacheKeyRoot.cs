using Orchestrator.Oci;
using Orchestrator.Oci.Documents;

namespace Orchestrator.Caching;

/// <summary>
/// Where a stage's key chain starts: the identity of its base. The first step's parent key is <see cref="Key"/>.
/// </summary>
public abstract record CacheKeyRoot
{
    private CacheKeyRoot() { }

    /// <summary>The key the first step chains to.</summary>
    public abstract CacheKey Key { get; }

    /// <summary>A registry or OCI-layout base: the digest of the image manifest resolved for <paramref name="Platform"/> (never a tag).</summary>
    public sealed record Image(Digest ManifestDigest, Platform Platform) : CacheKeyRoot
    {
        public override CacheKey Key => new CacheKeyBuilder()
            .Text("base", "image", shown: true)
            .Digest("manifest", ManifestDigest)
            .Text("platform", Normalise(Platform), shown: true)
            .Build();
    }

    /// <summary>The empty image; the platform still matters (it is written into the image config).</summary>
    public sealed record Scratch(Platform Platform) : CacheKeyRoot
    {
        public override CacheKey Key => new CacheKeyBuilder()
            .Text("base", "scratch", shown: true)
            .Text("platform", Normalise(Platform), shown: true)
            .Build();
    }

    /// <summary>Another stage of the build: its last key is the root as it is (that key already covers its base and platform).</summary>
    public sealed record Stage(string Name, CacheKey LastKey) : CacheKeyRoot
    {
        public override CacheKey Key => LastKey;
    }

    // os/architecture[/variant], lower case: the parts that select an image; os.version and features do not.
    private static string Normalise(Platform platform) => Platform.Parse(platform.ToString()).ToString();
}
