using Orchestrator.Oci.Registry.Auth;

namespace Orchestrator.Oci.Registry;

/// <summary>How to reach registries: TLS trust, insecure hosts, credentials, retries and upload shape.</summary>
public sealed record RegistryClientOptions
{
    /// <summary>Registries (host[:port]) reached over plain HTTP besides loopback ones (<c>--insecure-registry</c>).</summary>
    public IReadOnlyCollection<string> InsecureRegistries { get; init; } = [];

    /// <summary>PEM file of extra CA certificates to trust for registry TLS.</summary>
    public string? CaBundlePath { get; init; }

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
        ImageReference.IsLoopbackHost(registry) || InsecureRegistries.Contains(registry, StringComparer.OrdinalIgnoreCase);
}
