using System.Collections.Concurrent;

namespace Orchestrator.Oci.Registry;

/// <summary>One <see cref="RegistryClient"/> per registry, sharing options, connections and tokens for a whole run.</summary>
public sealed class RegistryClientPool(RegistryClientOptions? options = null) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<RegistryClient>> _clients = new(StringComparer.OrdinalIgnoreCase);

    public RegistryClientOptions Options { get; } = options ?? new RegistryClientOptions();

    public RegistryClient For(string registry) =>
        _clients.GetOrAdd(registry, r => new Lazy<RegistryClient>(() => new RegistryClient(r, Options))).Value;

    public RegistryClient For(ImageReference reference) => For(reference.Registry);

    public void Dispose()
    {
        foreach (var client in _clients.Values.Where(c => c.IsValueCreated)) client.Value.Dispose();
    }
}
