using System.IO.Compression;

namespace Orchestrator.Layers;

/// <summary>Recognises a layer's compression by its magic bytes and opens the matching decompressor.</summary>
public static class LayerCompressionDetector
{
    private static readonly byte[] GzipMagic = [0x1f, 0x8b];
    private static readonly byte[] ZstdMagic = [0x28, 0xb5, 0x2f, 0xfd];

    public static LayerCompression Detect(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith(GzipMagic)) return LayerCompression.Gzip;
        if (head.StartsWith(ZstdMagic)) return LayerCompression.Zstd;
        return LayerCompression.None;
    }

    /// <summary>
    /// Wraps <paramref name="blob"/> so reading yields the plain tar, whatever the compression.
    /// Reads at most four bytes ahead to decide, so non-seekable (network) streams work.
    /// </summary>
    public static async Task<(Stream Tar, LayerCompression Compression)> OpenAsync(Stream blob, CancellationToken cancellationToken)
    {
        var head = new byte[ZstdMagic.Length];
        var filled = 0;
        while (filled < head.Length)
        {
            var read = await blob.ReadAsync(head.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (read == 0) break;
            filled += read;
        }
        var compression = Detect(head.AsSpan(0, filled));
        Stream whole = new PrefixedStream(head.AsMemory(0, filled), blob);
        Stream tar = compression switch
        {
            LayerCompression.Gzip => new GZipStream(whole, CompressionMode.Decompress),
            LayerCompression.Zstd => new ZstdSharp.DecompressionStream(whole),
            _ => whole,
        };
        return (tar, compression);
    }

    public static string MediaType(LayerCompression compression) => compression switch
    {
        LayerCompression.Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
        LayerCompression.Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
        _ => "application/vnd.oci.image.layer.v1.tar",
    };
}
