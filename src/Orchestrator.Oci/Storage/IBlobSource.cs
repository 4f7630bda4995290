using Orchestrator.Oci.Documents;

namespace Orchestrator.Oci.Storage;

/// <summary>Somewhere blobs can be read from by descriptor: a blob store, an OCI layout, a registry.</summary>
public interface IBlobSource
{
    /// <summary>Opens the blob; the stream verifies size and digest as it ends.</summary>
    Task<Stream> OpenReadAsync(Descriptor blob, CancellationToken cancellationToken);
}
