namespace Orchestrator.Oci.Documents;

/// <summary>The media types of the OCI image spec and of Docker's schema 2, and what each one is.</summary>
public static class MediaTypes
{
    public const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciConfig = "application/vnd.oci.image.config.v1+json";
    public const string OciLayer = "application/vnd.oci.image.layer.v1.tar";
    public const string OciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string OciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
    public const string OciEmpty = "application/vnd.oci.empty.v1+json";

    public const string DockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerConfig = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public const string DockerLayerForeign = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

    /// <summary>Every manifest kind we read, for the <c>Accept</c> header of manifest requests.</summary>
    public static IReadOnlyList<string> AcceptedManifests { get; } = [OciManifest, OciIndex, DockerManifest, DockerManifestList];

    public static bool IsImageManifest(string? mediaType) => mediaType is OciManifest or DockerManifest;

    public static bool IsIndex(string? mediaType) => mediaType is OciIndex or DockerManifestList;

    public static bool IsManifestOrIndex(string? mediaType) => IsImageManifest(mediaType) || IsIndex(mediaType);

    /// <summary>The config media type that goes with a manifest media type.</summary>
    public static string ConfigFor(string manifestMediaType) =>
        manifestMediaType == DockerManifest ? DockerConfig : OciConfig;

    /// <summary>The gzip layer media type that goes with a manifest media type.</summary>
    public static string GzipLayerFor(string manifestMediaType) =>
        manifestMediaType == DockerManifest ? DockerLayerGzip : OciLayerGzip;
}
