using System.Collections.Concurrent;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Images;
using Orchestrator.Oci.Registry;

namespace Orchestrator.Execution;

/// <summary>
/// A build's answers to "which manifest is this reference for this platform": asked once per reference and platform
/// however many stages, keys and <c>COPY --from</c> steps need it, so every stage of a build sees the same base. A base the
/// build's front end resolved already (<paramref name="resolved"/>) is not asked for again.
/// </summary>
public sealed class BaseResolver(RegistryClientPool registries, ResolvedBaseImages? resolved = null)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<ManifestDocument>>> _resolved = new(StringComparer.Ordinal);

    public RegistryClientPool Registries => registries;

    /// <summary>The platform manifest <paramref name="reference"/> names for <paramref name="platform"/> (null: this machine's).</summary>
    public Task<ManifestDocument> ResolveAsync(ImageReference reference, Platform? platform, CancellationToken cancellationToken)
    {
        var chosen = platform ?? Platform.Host;
        if (resolved?.Manifest(reference, chosen) is { } known) return Task.FromResult(known);
        var entry = _resolved.GetOrAdd(reference + " " + chosen, _ => new Lazy<Task<ManifestDocument>>(async () =>
            (await new ImagePuller(registries).ResolveAsync(reference, chosen, CancellationToken.None).ConfigureAwait(false)).Manifest));
        var task = entry.Value;
        // A failure is not remembered: the next asker tries again.
        if (task.IsFaulted || task.IsCanceled) _resolved.TryRemove(new(reference + " " + chosen, entry));
        return task.WaitAsync(cancellationToken);
    }
}
