namespace Orchestrator.Oci.Images;

/// <summary>
/// A blob source that knows, blob by blob, a registry repository that holds it (a base image's repository, a cache
/// repo), so a push to the same registry mounts the blob instead of sending its bytes again.
/// </summary>
public interface IRegistryBlobOrigins
{
    /// <summary>A repository known to hold the blob, or null.</summary>
    RegistryBlobSource? OriginOf(Digest digest);
}
