namespace Orchestrator.Oci.Registry;

/// <summary>
/// Reads a blob and checks, as the last byte goes by, that size and SHA-256 match the descriptor.
/// A mismatch throws, so a consumer that writes to a temporary file and renames only on success
/// never keeps bad bytes.
/// </summary>
public sealed class VerifyingReadStream : Stream
{
    private readonly DigestingStream _inner;
    private readonly Digest _expected;
    private readonly long? _expectedSize;
    private readonly string _source;
    private bool _verified;

    public VerifyingReadStream(Stream inner, Digest expected, long? expectedSize, string source)
    {
        _inner = new DigestingStream(inner);
        _expected = expected;
        _expectedSize = expectedSize;
        _source = source;
    }

    /// <summary>The digest the content must have; reaching the end proves it does.</summary>
    public Digest Expected => _expected;

    public long? ExpectedSize => _expectedSize;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _expectedSize ?? throw new NotSupportedException();
    public override long Position { get => _inner.BytesProcessed; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => Check(_inner.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Check(await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Check(int read)
    {
        if (_expectedSize is { } size && _inner.BytesProcessed > size)
            throw new OrchestratorException($"{_source}: blob {_expected} is longer than the {size} bytes its descriptor says; refusing it");
        if (read == 0 && !_verified)
        {
            _verified = true;
            if (_expectedSize is { } expected && _inner.BytesProcessed != expected)
                throw new OrchestratorException($"{_source}: blob {_expected} ended after {_inner.BytesProcessed} of {expected} bytes; refusing it");
            var actual = _inner.GetDigest();
            if (actual != _expected)
                throw new OrchestratorException($"{_source}: blob content has digest {actual}, not the expected {_expected}; refusing it (corrupt storage or a tampering proxy)");
        }
        return read;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }
}
