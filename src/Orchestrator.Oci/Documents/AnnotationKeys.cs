namespace Orchestrator.Oci.Documents;

/// <summary>Pre-defined annotation keys of the OCI image spec that we read or write.</summary>
public static class AnnotationKeys
{
    /// <summary>The tag-like name of a manifest in an OCI layout's <c>index.json</c>.</summary>
    public const string RefName = "org.opencontainers.image.ref.name";
    public const string Created = "org.opencontainers.image.created";
    public const string BaseName = "org.opencontainers.image.base.name";
    public const string BaseDigest = "org.opencontainers.image.base.digest";
}
