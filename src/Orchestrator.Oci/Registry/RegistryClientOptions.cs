using Orchestrator.Oci.Registry.Auth;

namespace Orchestrator.Oci.Registry;

/// <summary>How to reach registries: TLS trust, insecure hosts, credentials, retries and upload shape.</summary>
public sealed record RegistryClientOptions
{
    /// <summary>Registries (host[:port]) reached over plain HTTP besides loopback ones (<c>--insecure-registry</c>).</summary>
    public IReadOnlyCollection<string> InsecureRegistries { get; init; } = [];

    /// <summary>PEM file of extra CA certificates to trust for registry TLS.</summary>
    public string? CaBundlePath { get; init; }

    /// <summary>
    /// CA (or server) certificates, PEM, to trust for one registry each (<c>--registry-certificate REGISTRY=PATH</c>),
    /// on top of the system's trust store and <see cref="CaBundlePath"/>. Such a registry is reached over TLS even on loopback.
    /// </summary>
    public IReadOnlyDictionary<string, string> RegistryCertificates { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Registries whose TLS certificate is not verified (Kaniko's <c>--skip-tls-verify-registry</c>, and the registries
    /// <c>--skip-tls-verify</c> pushes to). Such a registry is reached over TLS even on loopback.
    /// </summary>
    public IReadOnlyCollection<string> SkipTlsVerifyRegistries { get; init; } = [];

    /// <summary>
    /// Kaniko's <c>--skip-tls-verify-pull</c>: no certificate is verified for registries the build only reads from,
    /// that is every registry but <see cref="PushRegistries"/> (those keep verification unless listed above).
    /// </summary>
    public bool SkipTlsVerifyPull { get; init; }

    /// <summary>The registries a build pushes to (destinations, cache repo): what <see cref="SkipTlsVerifyPull"/> leaves verified.</summary>
    public IReadOnlyCollection<string> PushRegistries { get; init; } = [];

    /// <summary>
    /// Pull-through mirrors by the registry they stand in for (Kaniko's <c>--registry-mirror HOST</c> for Docker Hub,
    /// <c>--registry-map REGISTRY=MIRROR</c> for any): manifests and blobs of that registry's images are read from each
    /// mirror in turn, same repository path, and from the registry itself when no mirror has them or none answers.
    /// Pushes, and the checks before a push, always go to the registry itself.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> RegistryMirrors { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    public ICredentialProvider Credentials { get; init; } = AnonymousCredentialProvider.Instance;

    public RetryOptions Retry { get; init; } = new();

    /// <summary>Blobs at least this large go up in chunks (PATCH + Content-Range); smaller ones in one PUT.</summary>
    public long ChunkedUploadThreshold { get; init; } = 256L * 1024 * 1024;

    public long ChunkSize { get; init; } = 64L * 1024 * 1024;

    /// <summary>How many blobs move at once in a push or pull (skopeo's default is 6 as well).</summary>
    public int MaxParallelTransfers { get; init; } = 6;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Options that read credentials from Docker's config.json (DOCKER_CONFIG or ~/.docker).</summary>
    public static RegistryClientOptions FromEnvironment() => new() { Credentials = DockerConfigCredentialProvider.FromEnvironment() };

    /// <summary>Plain HTTP for loopback hosts and the configured insecure registries; TLS otherwise.</summary>
    public bool UsesPlainHttp(string registry) =>
        InsecureRegistries.Contains(registry, StringComparer.OrdinalIgnoreCase)
        || (ImageReference.IsLoopbackHost(registry) && !RegistryCertificates.ContainsKey(registry) && !SkipTlsVerifyRegistries.Contains(registry, StringComparer.OrdinalIgnoreCase));

    /// <summary>True when the TLS certificate of <paramref name="registry"/> is not checked.</summary>
    public bool SkipsTlsVerification(string registry) =>
        SkipTlsVerifyRegistries.Contains(registry, StringComparer.OrdinalIgnoreCase)
        || (SkipTlsVerifyPull && !PushRegistries.Contains(registry, StringComparer.OrdinalIgnoreCase));
}
