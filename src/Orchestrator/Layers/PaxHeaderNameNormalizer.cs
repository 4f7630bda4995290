using System.Text;

namespace Orchestrator.Layers;

/// <summary>
/// System.Formats.Tar names each PAX extended header <c>dir/PaxHeaders.&lt;process id&gt;/name</c>,
/// which would make the same layer hash differently in every process. This write-only filter
/// follows the tar block structure (512-byte headers, data padded to 512) and rewrites that name
/// to <c>PaxHeaders.0</c>, fixing the header checksum. Readers ignore the name, so the archive
/// means the same; it just becomes reproducible.
/// </summary>
internal sealed class PaxHeaderNameNormalizer(Stream inner) : Stream
{
    private const int BlockSize = 512;
    private static readonly byte[] Marker = "PaxHeaders."u8.ToArray();

    private readonly byte[] _header = new byte[BlockSize];
    private int _headerFilled;
    private long _dataRemaining;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var (passThrough, consumed) = Step(buffer);
            if (passThrough > 0) inner.Write(buffer[..passThrough]);
            else if (_headerFilled == BlockSize) FlushHeader(inner.Write);
            buffer = buffer[Math.Max(passThrough, consumed)..];
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            var (passThrough, consumed) = Step(buffer.Span);
            if (passThrough > 0) await inner.WriteAsync(buffer[..passThrough], cancellationToken).ConfigureAwait(false);
            else if (_headerFilled == BlockSize)
            {
                Fix();
                _headerFilled = 0;
                await inner.WriteAsync(_header, cancellationToken).ConfigureAwait(false);
            }
            buffer = buffer[Math.Max(passThrough, consumed)..];
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Either passes data bytes through, or collects header bytes (returned as consumed).</summary>
    private (int PassThrough, int Consumed) Step(ReadOnlySpan<byte> buffer)
    {
        if (_dataRemaining > 0)
        {
            var n = (int)Math.Min(_dataRemaining, buffer.Length);
            _dataRemaining -= n;
            return (n, n);
        }
        var take = Math.Min(BlockSize - _headerFilled, buffer.Length);
        buffer[..take].CopyTo(_header.AsSpan(_headerFilled));
        _headerFilled += take;
        return (0, take);
    }

    private void FlushHeader(Action<ReadOnlySpan<byte>> write)
    {
        Fix();
        _headerFilled = 0;
        write(_header);
    }

    private void Fix()
    {
        var size = ParseSize(_header.AsSpan(124, 12));
        _dataRemaining = (size + BlockSize - 1) / BlockSize * BlockSize;
        var type = _header[156];
        if (type != (byte)'x' && type != (byte)'g') return;
        if (!(Rewrite(_header.AsSpan(0, 100)) | Rewrite(_header.AsSpan(345, 155)))) return;
        var checksumField = _header.AsSpan(148, 8);
        checksumField.Fill((byte)' ');
        var sum = 0;
        foreach (var b in _header) sum += b;
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ", checksumField);
    }

    /// <summary>Replaces the digits after "PaxHeaders." by a single 0 inside a NUL-padded field.</summary>
    private static bool Rewrite(Span<byte> field)
    {
        var at = field.IndexOf(Marker);
        if (at < 0) return false;
        var digitsStart = at + Marker.Length;
        var digitsEnd = digitsStart;
        while (digitsEnd < field.Length && field[digitsEnd] is >= (byte)'0' and <= (byte)'9') digitsEnd++;
        if (digitsEnd - digitsStart <= 1 && field[digitsStart] == (byte)'0') return false;
        var tail = field[digitsEnd..].ToArray();
        field[digitsStart] = (byte)'0';
        var rest = field[(digitsStart + 1)..];
        rest.Clear();
        tail.AsSpan(0, Math.Min(tail.Length, rest.Length)).CopyTo(rest);
        return true;
    }

    private static long ParseSize(ReadOnlySpan<byte> field)
    {
        if ((field[0] & 0x80) != 0)
        {
            // base-256 (GNU extension for sizes >= 8 GiB)
            long value = field[0] & 0x7f;
            foreach (var b in field[1..]) value = (value << 8) | b;
            return value;
        }
        var text = Encoding.ASCII.GetString(field).Trim(' ', '\0');
        return text.Length == 0 ? 0 : Convert.ToInt64(text, 8);
    }

    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
