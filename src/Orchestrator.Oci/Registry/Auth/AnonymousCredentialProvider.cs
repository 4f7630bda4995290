namespace Orchestrator.Oci.Registry.Auth;

/// <summary>No credentials anywhere: anonymous access only.</summary>
public sealed class AnonymousCredentialProvider : ICredentialProvider
{
    public static AnonymousCredentialProvider Instance { get; } = new();

    public Task<RegistryCredentials?> GetCredentialsAsync(string registry, CancellationToken cancellationToken) =>
        Task.FromResult<RegistryCredentials?>(null);
}
