using System.Buffers.Binary;
using System.Text;
using Orchestrator.Oci;

namespace Orchestrator.Caching;

/// <summary>
/// Encodes cache-key inputs as length-prefixed, typed parts, so two different sequences of parts never
/// encode to the same bytes (no ambiguous joins): <c>part = tag (1 byte) · name length (u32, big-endian) ·
/// name (UTF-8) · value length (u64, big-endian) · value</c>. A group or a list nests a sequence of parts
/// in its value. The exact format is in docs/caching.md; changing it means changing
/// <see cref="CacheKeyBuilder.FormatVersion"/>.
/// </summary>
public sealed class KeyPartWriter
{
    public const byte AbsentTag = 0x00;
    public const byte TextTag = 0x01;
    public const byte BooleanTag = 0x02;
    public const byte IntegerTag = 0x03;
    public const byte DigestTag = 0x04;
    public const byte GroupTag = 0x05;
    public const byte ListTag = 0x06;

    private byte[] _buffer = new byte[512];
    private int _length;

    /// <summary>The bytes written since the last <see cref="Clear"/>.</summary>
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    public void Clear() => _length = 0;

    /// <summary>A value that is not there (an unset flag, a null field); distinct from an empty text.</summary>
    public KeyPartWriter Absent(string name)
    {
        Header(AbsentTag, name, 0);
        return this;
    }

    public KeyPartWriter Text(string name, string? value)
    {
        if (value is null) return Absent(name);
        var size = Encoding.UTF8.GetByteCount(value);
        Header(TextTag, name, size);
        _length += Encoding.UTF8.GetBytes(value, Reserve(size));
        return this;
    }

    public KeyPartWriter Boolean(string name, bool value)
    {
        Header(BooleanTag, name, 1);
        Reserve(1)[0] = value ? (byte)1 : (byte)0;
        _length += 1;
        return this;
    }

    /// <summary>An integer as 8 bytes, big-endian two's complement.</summary>
    public KeyPartWriter Integer(string name, long value)
    {
        Header(IntegerTag, name, 8);
        BinaryPrimitives.WriteInt64BigEndian(Reserve(8), value);
        _length += 8;
        return this;
    }

    public KeyPartWriter Integer(string name, long? value) => value is { } v ? Integer(name, v) : Absent(name);

    /// <summary>A digest as its text form, <c>sha256:&lt;hex&gt;</c>.</summary>
    public KeyPartWriter Digest(string name, Digest? value)
    {
        if (value is not { } digest) return Absent(name);
        // Written piecewise: file records hold one per file, and a joined string per file shows in a rebuild's profile.
        var size = Encoding.UTF8.GetByteCount(digest.Algorithm) + 1 + Encoding.UTF8.GetByteCount(digest.Hex);
        Header(DigestTag, name, size);
        var span = Reserve(size);
        var at = Encoding.UTF8.GetBytes(digest.Algorithm, span);
        span[at++] = (byte)':';
        _length += at + Encoding.UTF8.GetBytes(digest.Hex, span[at..]);
        return this;
    }

    /// <summary>A record: the parts <paramref name="parts"/> writes, nested in one value.</summary>
    public KeyPartWriter Group(string name, Action<KeyPartWriter> parts) => Nest(GroupTag, name, parts);

    /// <summary>A sequence: one or more parts per item, in the given order, nested in one value.</summary>
    public KeyPartWriter List<T>(string name, IEnumerable<T> items, Action<KeyPartWriter, T> item) =>
        Nest(ListTag, name, writer =>
        {
            foreach (var value in items) item(writer, value);
        });

    private KeyPartWriter Nest(byte tag, string name, Action<KeyPartWriter> parts)
    {
        Header(tag, name, 0);
        var lengthAt = _length - 8;
        var start = _length;
        parts(this);
        BinaryPrimitives.WriteUInt64BigEndian(_buffer.AsSpan(lengthAt, 8), (ulong)(_length - start));
        return this;
    }

    private void Header(byte tag, string name, long valueLength)
    {
        var nameSize = Encoding.UTF8.GetByteCount(name);
        var span = Reserve(1 + 4 + nameSize + 8);
        span[0] = tag;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)nameSize);
        Encoding.UTF8.GetBytes(name, span[5..]);
        BinaryPrimitives.WriteUInt64BigEndian(span[(5 + nameSize)..], (ulong)valueLength);
        _length += 1 + 4 + nameSize + 8;
    }

    private Span<byte> Reserve(int size)
    {
        if (_length + size > _buffer.Length)
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + size));
        return _buffer.AsSpan(_length, size);
    }
}
