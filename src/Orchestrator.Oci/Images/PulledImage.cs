using Orchestrator.Oci.Documents;

namespace Orchestrator.Oci.Images;

/// <summary>A pulled image: the platform's manifest and config, and the index it was selected from (if any).</summary>
public sealed record PulledImage(ImageReference Reference, ManifestDocument Manifest, ImageConfig Config, ManifestDocument? Index)
{
    public ImageManifest ImageManifest => Manifest.AsManifest();

    /// <summary>The digest to pin the reference to: the index's when there was one (what the tag points at).</summary>
    public Digest ReferenceDigest => (Index ?? Manifest).Digest;
}
