using System.Collections.Concurrent;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;

namespace Orchestrator.Execution;

/// <summary>
/// The registry bases one build has resolved: the platform manifest a reference names and that manifest's config.
/// The Dockerfile front end reads a base's ENV before the build starts; the executor then takes the same manifest
/// and config from here instead of asking the registry again, so each base is resolved once per build and every part
/// of the build sees the same one, even when its tag moves meanwhile.
/// </summary>
public sealed class ResolvedBaseImages
{
    private readonly ConcurrentDictionary<string, ManifestDocument> _manifests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Digest, byte[]> _configs = new();

    public void Remember(ImageReference reference, Platform platform, ManifestDocument manifest, byte[] config)
    {
        _configs.TryAdd(manifest.AsManifest().Config.Digest, config);
        _manifests.TryAdd(Key(reference, platform), manifest);
    }

    /// <summary>The platform manifest <paramref name="reference"/> was resolved to in this build, or null.</summary>
    public ManifestDocument? Manifest(ImageReference reference, Platform platform) => _manifests.GetValueOrDefault(Key(reference, platform));

    /// <summary>The bytes of a resolved manifest's config, or null.</summary>
    public byte[]? Config(Digest digest) => _configs.GetValueOrDefault(digest);

    private static string Key(ImageReference reference, Platform platform) => reference + " " + platform;
}
