namespace Orchestrator.Layers;

public sealed record LayerWriterOptions
{
    public LayerCompression Compression { get; init; } = LayerCompression.Gzip;

    /// <summary>gzip: 0 none … 9 best (default: fastest); zstd: 1 … 22 (default 3).</summary>
    public int? CompressionLevel { get; init; }

    public TimestampPolicy Timestamps { get; init; } = TimestampPolicy.Keep;
}
