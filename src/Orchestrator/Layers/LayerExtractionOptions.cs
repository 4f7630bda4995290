namespace Orchestrator.Layers;

/// <summary>What to do with OCI whiteout entries.</summary>
public enum WhiteoutMode
{
    /// <summary>
    /// Keep them as overlayfs markers (0/0 character device, <c>user.overlay.opaque</c>) so the
    /// folder can be stacked as an overlay lowerdir. Used by the layer store.
    /// </summary>
    OverlayMarkers,

    /// <summary>Apply them to the folder (delete hidden paths). Used when flattening layers into one folder.</summary>
    Apply,
}

public sealed record LayerExtractionOptions
{
    public WhiteoutMode Whiteouts { get; init; } = WhiteoutMode.OverlayMarkers;

    /// <summary>
    /// Folders of the layers below this one, top-most first. A hardlink whose target is not in
    /// this layer is materialised as a copy of the visible lower file (folders cannot share
    /// inodes across layers without letting a later write leak into the lower layer).
    /// </summary>
    public IReadOnlyList<string> LowerLayers { get; init; } = [];

    /// <summary>Receives notes about what could not be applied (device nodes, xattrs) as plain sentences.</summary>
    public Action<string>? OnNote { get; init; }

    /// <summary>Names the layer in error messages (a digest or a file name).</summary>
    public string Label { get; init; } = "(unnamed)";
}

/// <summary>What an extraction saw: the diffID (digest of the uncompressed tar) and counts.</summary>
public sealed record LayerExtractionResult(Oci.Digest DiffId, LayerCompression Compression, long UncompressedSize, int Entries, int SkippedEntries);
