namespace Orchestrator.Oci.Registry.Auth;

/// <summary>Fixed credentials per registry, e.g. from command-line flags.</summary>
public sealed class StaticCredentialProvider(IReadOnlyDictionary<string, RegistryCredentials> byRegistry) : ICredentialProvider
{
    public Task<RegistryCredentials?> GetCredentialsAsync(string registry, CancellationToken cancellationToken) =>
        Task.FromResult(byRegistry.GetValueOrDefault(registry));
}
