using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Images;
using Orchestrator.Oci.Registry;

namespace Orchestrator.Execution;

/// <summary>
/// Reads the ENV of registry base images (manifest and config only, no layers) for the Dockerfile
/// front end. An image that cannot be reached yields null: planning still works offline, and the
/// build itself reports the registry error when it pulls. What it resolves goes into the build's
/// <see cref="ResolvedBaseImages"/>, so the build does not ask again.
/// </summary>
public sealed class BaseImageEnvironment(RegistryClientOptions registry, string? platform, ResolvedBaseImages? resolved = null)
{
    private readonly Dictionary<string, IReadOnlyDictionary<string, string>?> _resolved = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string>? Lookup(string reference)
    {
        lock (_resolved)
        {
            if (!_resolved.TryGetValue(reference, out var env))
                _resolved[reference] = env = ResolveAsync(reference).GetAwaiter().GetResult();
            return env;
        }
    }

    private async Task<IReadOnlyDictionary<string, string>?> ResolveAsync(string reference)
    {
        if (!ImageReference.TryParse(reference, out var parsed, out _)) return null;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            using var registries = new RegistryClientPool(registry with { Retry = RetryOptions.Fast });
            var chosen = platform is null ? Platform.Host : Platform.Parse(platform);
            var (manifest, _) = await new ImagePuller(registries).ResolveAsync(parsed, chosen, timeout.Token).ConfigureAwait(false);
            using var bytes = new MemoryStream();
            await using (var stream = await registries.For(parsed).OpenBlobAsync(parsed.Repository, manifest.AsManifest().Config, timeout.Token).ConfigureAwait(false))
                await stream.CopyToAsync(bytes, timeout.Token).ConfigureAwait(false);
            bytes.Position = 0;
            var config = await ImageConfig.ReadAsync(bytes, manifest.AsManifest(), parsed.ToString(), timeout.Token).ConfigureAwait(false);
            resolved?.Remember(parsed, chosen, manifest, bytes.ToArray());
            return ConfigInstructions.ToDictionary(config.Config?.Env ?? []);
        }
        catch (Exception error) when (error is OrchestratorException or HttpRequestException or OperationCanceledException or IOException)
        {
            return null;
        }
    }
}
