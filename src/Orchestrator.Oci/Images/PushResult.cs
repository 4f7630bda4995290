using Orchestrator.Oci.Registry;

namespace Orchestrator.Oci.Images;

/// <summary>What a push did at one destination: the manifest digest and how each blob got there.</summary>
public sealed record PushResult(ImageReference Destination, Digest ManifestDigest, IReadOnlyDictionary<Digest, BlobUploadOutcome> Blobs)
{
    public int Uploaded => Blobs.Values.Count(o => o == BlobUploadOutcome.Uploaded);

    public int Reused => Blobs.Values.Count(o => o != BlobUploadOutcome.Uploaded);
}
