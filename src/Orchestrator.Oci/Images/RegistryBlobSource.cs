using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Registry;
using Orchestrator.Oci.Storage;

namespace Orchestrator.Oci.Images;

/// <summary>A repository of a registry seen as a blob source, so pushes can copy registry → registry.</summary>
public sealed class RegistryBlobSource(RegistryClient client, string repository) : IBlobSource
{
    public RegistryClient Client => client;

    public string Repository => repository;

    public Task<Stream> OpenReadAsync(Descriptor blob, CancellationToken cancellationToken) =>
        client.OpenBlobAsync(repository, blob, cancellationToken);
}
