using Orchestrator.Oci.Documents;

namespace Orchestrator.Oci.Layout;

/// <summary>
/// One platform's image read out of an OCI layout: its manifest and config, the layout folder and tag
/// it came from, and the index it was selected from (when the tag named a multi-platform image).
/// </summary>
public sealed record LayoutImage(string LayoutPath, string? Tag, ManifestDocument Manifest, ImageConfig Config, ManifestDocument? Index)
{
    public ImageManifest ImageManifest => Manifest.AsManifest();

    /// <summary>How messages name it: <c>oci:PATH[:TAG]</c>.</summary>
    public override string ToString() => "oci:" + LayoutPath + (Tag is null ? "" : ":" + Tag);
}
