namespace Orchestrator.Oci.Registry.Auth;

/// <summary>Finds credentials for a registry (host[:port], <c>docker.io</c> for Docker Hub); null for anonymous.</summary>
public interface ICredentialProvider
{
    Task<RegistryCredentials?> GetCredentialsAsync(string registry, CancellationToken cancellationToken);
}
