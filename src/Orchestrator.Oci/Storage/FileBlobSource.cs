using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Registry;

namespace Orchestrator.Oci.Storage;

/// <summary>
/// Blobs that are plain files somewhere (a layer tarball a builder just wrote), looked up by digest,
/// with a fallback source for the rest (e.g. the blob store holding the base image's layers).
/// </summary>
public sealed class FileBlobSource(IReadOnlyDictionary<Digest, string> files, IBlobSource? fallback = null) : IBlobSource
{
    public Task<Stream> OpenReadAsync(Descriptor blob, CancellationToken cancellationToken)
    {
        if (files.TryGetValue(blob.Digest, out var path))
        {
            if (!File.Exists(path)) throw new OrchestratorException($"layer file '{path}' for blob {blob.Digest} is gone; rebuild the image");
            Stream file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1024 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);
            return Task.FromResult<Stream>(new VerifyingReadStream(file, blob.Digest, blob.Size, $"layer file '{path}'"));
        }
        return fallback?.OpenReadAsync(blob, cancellationToken)
            ?? throw new OrchestratorException($"no file or store holds blob {blob.Digest}");
    }
}
