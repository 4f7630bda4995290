using System.Collections.Concurrent;

namespace Orchestrator.Oci.Registry;

/// <summary>One <see cref="RegistryClient"/> per registry, sharing options, connections and tokens for a whole run.</summary>
public sealed class RegistryClientPool(RegistryClientOptions? options = null) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<RegistryClient>> _clients = new(StringComparer.OrdinalIgnoreCase);

    public RegistryClientOptions Options { get; } = options ?? new RegistryClientOptions();

    public RegistryClient For(string registry) =>
        _clients.GetOrAdd(registry, r => new Lazy<RegistryClient>(() => new RegistryClient(r, Options) { PullMirrors = MirrorsOf(r) })).Value;

    /// <summary>Clients of the mirrors of <paramref name="registry"/>: quick to give up (the registry itself is the fallback), never mirrored again.</summary>
    private IReadOnlyList<RegistryClient> MirrorsOf(string registry) =>
        Options.RegistryMirrors.TryGetValue(registry, out var mirrors) && mirrors.Count > 0
            ? mirrors.Select(m => _clients.GetOrAdd("mirror " + m, _ => new Lazy<RegistryClient>(() =>
                new RegistryClient(m, Options with { Retry = RetryOptions.Fast, RegistryMirrors = new Dictionary<string, IReadOnlyList<string>>() }))).Value).ToList()
            : [];

    public RegistryClient For(ImageReference reference) => For(reference.Registry);

    public void Dispose()
    {
        foreach (var client in _clients.Values.Where(c => c.IsValueCreated)) client.Value.Dispose();
    }
}
