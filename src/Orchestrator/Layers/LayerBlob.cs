using Orchestrator.Oci;

namespace Orchestrator.Layers;

/// <summary>A written layer: the blob file, its digest and size (compressed), its diffID and size (uncompressed).</summary>
public sealed record LayerBlob(string Path, Digest Digest, long Size, Digest DiffId, long UncompressedSize, LayerCompression Compression)
{
    public string MediaType => LayerCompressionDetector.MediaType(Compression);
}

public sealed record LayerWriterOptions
{
    public LayerCompression Compression { get; init; } = LayerCompression.Gzip;

    /// <summary>gzip: 0 none … 9 best (default: fastest); zstd: 1 … 22 (default 3).</summary>
    public int? CompressionLevel { get; init; }

    public TimestampPolicy Timestamps { get; init; } = TimestampPolicy.Keep;
}
