namespace Orchestrator.Oci.Registry;

/// <summary>What a request is for, so every error can say registry, repository and operation.</summary>
public sealed record RegistryOperation(string Registry, string? Repository, string Name)
{
    public override string ToString() =>
        Repository is null ? $"{Name} on registry {Registry}" : $"{Name} of {Registry}/{Repository}";
}
