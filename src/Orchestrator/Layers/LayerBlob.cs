using Orchestrator.Oci;

namespace Orchestrator.Layers;

/// <summary>A written layer: the blob file, its digest and size (compressed), its diffID and size (uncompressed).</summary>
public sealed record LayerBlob(string Path, Digest Digest, long Size, Digest DiffId, long UncompressedSize, LayerCompression Compression)
{
    public string MediaType => LayerCompressionDetector.MediaType(Compression);
}
