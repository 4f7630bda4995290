using SharpCompress.Compressors.Xz;

namespace Orchestrator.Layers;

/// <summary>
/// Decompresses every xz stream of a file, one after the other, as <c>xz -d</c> (the decoder Docker's
/// archive.DecompressStream runs) does: streams may follow each other, with stream padding (zero bytes in
/// groups of four) between them. The library decoder reads one stream and stops exactly at its end.
/// Anything else after a stream is an <see cref="InvalidDataException"/>, as xz reports it.
/// </summary>
internal sealed class ConcatenatedXzStream(Stream source) : Stream
{
    private static readonly byte[] Magic = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];

    private Stream? _current = new XZStream(source);

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (_current is not null)
        {
            var n = _current.Read(buffer);
            if (n > 0 || buffer.IsEmpty) return n;
            _current = NextStream();
        }
        return 0;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_current is not null)
        {
            var n = await _current.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n > 0 || buffer.IsEmpty) return n;
            _current = NextStream();
        }
        return 0;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>After one stream: skips padding, then opens the next stream, or returns null at the end of the file.</summary>
    private XZStream? NextStream()
    {
        var head = new byte[Magic.Length];
        while (true)
        {
            var filled = source.ReadAtLeast(head.AsSpan(0, 4), 4, throwOnEndOfStream: false);
            if (filled == 0) return null;
            if (filled < 4) throw new InvalidDataException("xz: unexpected data after the end of a stream");
            if (!head.AsSpan(0, 4).ContainsAnyExcept((byte)0)) continue; // stream padding
            filled += source.ReadAtLeast(head.AsSpan(4), 2, throwOnEndOfStream: false);
            if (filled < Magic.Length || !head.AsSpan().SequenceEqual(Magic))
                throw new InvalidDataException("xz: unexpected data after the end of a stream");
            return new XZStream(new PrefixedStream(head, source));
        }
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _current?.Dispose();
            source.Dispose();
        }
        base.Dispose(disposing);
    }
}
