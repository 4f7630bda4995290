using System.Collections.Concurrent;
using Microsoft.CodeAnalysis;
using Orchestrator.Oci;

namespace Orchestrator.Scripting;

/// <summary>
/// Resolves <c>#load</c> like the compiler's file resolver (relative to the loading file) and remembers
/// the SHA-256 of exactly the bytes it handed to the compiler, so the cache manifest describes what was compiled.
/// </summary>
internal sealed class RecordingSourceResolver(SourceReferenceResolver inner) : SourceReferenceResolver
{
    private readonly SourceReferenceResolver _inner = inner;
    private readonly ConcurrentDictionary<string, string> _hashes = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> Hashes => _hashes;

    public override string? NormalizePath(string path, string? baseFilePath) => _inner.NormalizePath(path, baseFilePath);

    public override string? ResolveReference(string path, string? baseFilePath) => _inner.ResolveReference(path, baseFilePath);

    public override Stream OpenRead(string resolvedPath)
    {
        using var source = _inner.OpenRead(resolvedPath);
        var copy = new MemoryStream();
        source.CopyTo(copy);
        _hashes[resolvedPath] = Digest.Sha256(copy.GetBuffer().AsSpan(0, (int)copy.Length)).ToString();
        copy.Position = 0;
        return copy;
    }

    public override bool Equals(object? other) => other is RecordingSourceResolver r && r._inner.Equals(_inner);

    public override int GetHashCode() => _inner.GetHashCode();
}
