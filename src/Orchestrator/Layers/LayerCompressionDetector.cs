using System.Buffers.Binary;
using System.IO.Compression;
using SharpCompress.Compressors.BZip2;

namespace Orchestrator.Layers;

/// <summary>
/// Recognises a tar stream's compression by its magic bytes, never by a file name, and opens the matching
/// decompressor. The magics and their order are those of Docker's <c>archive.DetectCompression</c> (the code
/// BuildKit's ADD uses to decide whether a local file is an archive): bzip2 <c>BZh</c>, gzip <c>1f 8b 08</c>,
/// xz <c>fd 37 7a 58 5a 00</c>, zstd <c>28 b5 2f fd</c> or a zstd skippable frame; anything else is plain.
/// </summary>
public static class LayerCompressionDetector
{
    private static readonly byte[] Bzip2Magic = [0x42, 0x5a, 0x68];
    private static readonly byte[] GzipMagic = [0x1f, 0x8b, 0x08];
    private static readonly byte[] XzMagic = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
    private static readonly byte[] ZstdMagic = [0x28, 0xb5, 0x2f, 0xfd];
    private const uint ZstdSkippableFrameMask = 0xfffffff0;
    private const uint ZstdSkippableFrameStart = 0x184d2a50;

    /// <summary>How many leading bytes <see cref="Detect"/> may look at (Docker peeks 10).</summary>
    public const int HeadLength = 10;

    public static LayerCompression Detect(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith(Bzip2Magic)) return LayerCompression.Bzip2;
        if (head.StartsWith(GzipMagic)) return LayerCompression.Gzip;
        if (head.StartsWith(XzMagic)) return LayerCompression.Xz;
        if (head.StartsWith(ZstdMagic)) return LayerCompression.Zstd;
        if (head.Length >= 8 && (BinaryPrimitives.ReadUInt32LittleEndian(head) & ZstdSkippableFrameMask) == ZstdSkippableFrameStart) return LayerCompression.Zstd;
        return LayerCompression.None;
    }

    /// <summary>
    /// Wraps <paramref name="blob"/> so reading yields the plain tar, whatever the compression.
    /// Reads at most <see cref="HeadLength"/> bytes ahead to decide, so non-seekable (network) streams work.
    /// A stream that starts like a compressed one but is not fails with <see cref="InvalidDataException"/>, here
    /// (bzip2 reads its first block at once) or when read.
    /// </summary>
    public static async Task<(Stream Tar, LayerCompression Compression)> OpenAsync(Stream blob, CancellationToken cancellationToken)
    {
        var head = new byte[HeadLength];
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
            LayerCompression.Zstd => new DecoderErrors(new ZstdSharp.DecompressionStream(whole)),
            LayerCompression.Bzip2 => new DecoderErrors(await OpenBzip2Async(whole, cancellationToken).ConfigureAwait(false)),
            LayerCompression.Xz => new DecoderErrors(new ConcatenatedXzStream(whole)),
            _ => whole,
        };
        return (tar, compression);
    }

    private static async Task<Stream> OpenBzip2Async(Stream whole, CancellationToken cancellationToken)
    {
        try
        {
            // Concatenated streams are one file, as Go's compress/bzip2 reads them.
            return await BZip2Stream.CreateAsync(whole, SharpCompress.Compressors.CompressionMode.Decompress, decompressConcatenated: true, leaveOpen: false, tolerateTruncatedStream: false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (DecoderErrors.IsDecoderError(error))
        {
            throw new InvalidDataException("not a bzip2 stream: " + error.Message, error);
        }
    }

    public static string MediaType(LayerCompression compression) => compression switch
    {
        LayerCompression.Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
        LayerCompression.Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
        LayerCompression.None => "application/vnd.oci.image.layer.v1.tar",
        _ => throw new ArgumentOutOfRangeException(nameof(compression), compression, "OCI has no layer media type for this compression; layers are written plain, gzip or zstd"),
    };

    /// <summary>
    /// Reports a corrupt zstd, bzip2 or xz stream as <see cref="InvalidDataException"/>, as .NET's own decompressors
    /// do, whatever exception type the decoder library throws.
    /// </summary>
    private sealed class DecoderErrors(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        /// <summary>Anything but cancellation and the source's own I/O errors.</summary>
        public static bool IsDecoderError(Exception error) => error is not (OperationCanceledException or IOException or InvalidDataException);

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            try
            {
                return inner.Read(buffer);
            }
            catch (Exception error) when (IsDecoderError(error))
            {
                throw new InvalidDataException(error.Message, error);
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (IsDecoderError(error))
            {
                throw new InvalidDataException(error.Message, error);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await inner.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }
    }
}
