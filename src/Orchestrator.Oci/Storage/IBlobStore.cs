using Orchestrator.Oci.Documents;

namespace Orchestrator.Oci.Storage;

/// <summary>A content-addressed store that blobs can be written into as well as read from.</summary>
public interface IBlobStore : IBlobSource
{
    Task<bool> ContainsAsync(Digest digest, CancellationToken cancellationToken);

    /// <summary>Stores content whose digest and size are known; a mismatch throws and nothing is kept.</summary>
    Task PutAsync(Descriptor blob, Stream content, CancellationToken cancellationToken);

    /// <summary>Stores content of unknown digest and returns what it hashed to (digest and size).</summary>
    Task<(Digest Digest, long Size)> AddAsync(Stream content, CancellationToken cancellationToken);
}
