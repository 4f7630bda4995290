namespace Orchestrator.Oci.Registry;

/// <summary>How a blob got to the registry.</summary>
public enum BlobUploadOutcome
{
    /// <summary>The repository had it already; nothing was sent.</summary>
    AlreadyPresent,

    /// <summary>Mounted from another repository of the same registry; nothing was sent.</summary>
    Mounted,

    Uploaded,
}
