using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Orchestrator.Kubernetes;

/// <summary>
/// List, then watch from the list's resourceVersion (with bookmarks), until <c>observe</c> says it has seen
/// enough. A watch that ends is resumed from the last version seen; a 410 Gone (the version is too old) starts
/// over with a fresh list. No polling: every change arrives as an event.
/// </summary>
internal sealed class ResourceWatch<T, TList>(
    string resource,
    string @namespace,
    Func<CancellationToken, Task<TList>> list,
    Func<string?, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch)
    where T : IKubernetesObject<V1ObjectMeta>
    where TList : IKubernetesObject<V1ListMeta>, IItems<T>
{
    /// <summary>The last resourceVersion seen (from a list, an event or a bookmark).</summary>
    public string? Version { get; private set; }

    /// <summary>How many lists were made: one, plus one per 410 Gone.</summary>
    public int Lists { get; private set; }

    /// <summary>Feeds every object (listed, added, modified) to <paramref name="observe"/> until it returns true.</summary>
    public async Task RunAsync(Func<WatchEventType, T, bool> observe, CancellationToken cancellationToken)
    {
        while (true)
        {
            var listed = await KubernetesApiCall.RunAsync("list", resource, @namespace, () => list(cancellationToken)).ConfigureAwait(false);
            Lists++;
            foreach (var item in listed.Items)
                if (observe(WatchEventType.Added, item)) return;
            var version = Version = listed.Metadata?.ResourceVersion;
            var broken = 0;
            while (true)
            {
                Exception? streamError = null;
                var received = false;
                try
                {
                    await foreach (var (type, item) in watch(version, error => streamError = error, cancellationToken).ConfigureAwait(false))
                    {
                        received = true;
                        if (item?.Metadata?.ResourceVersion is { } seen) Version = version = seen;
                        if (type is WatchEventType.Bookmark or WatchEventType.Error || item is null) continue;
                        if (observe(type, item)) return;
                    }
                }
                catch (HttpOperationException error)
                {
                    throw KubernetesApiCall.Translate(error, "watch", resource, @namespace);
                }
                catch (Exception error) when (error is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
                {
                    // The connection dropped (an API server restart, a proxy's idle timeout): resume from the last version
                    // seen, after a short pause that grows while nothing gets through.
                    broken = received ? 1 : broken + 1;
                    if (broken > 5)
                        throw new OrchestratorException($"watching {resource} in namespace '{@namespace}' keeps failing: {error.Message}. Check that the Kubernetes API is reachable", error);
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * broken), cancellationToken).ConfigureAwait(false);
                    continue;
                }
                cancellationToken.ThrowIfCancellationRequested();
                if (streamError is KubernetesException { Status.Code: (int)HttpStatusCode.Gone }) break; // too old: list again
                if (streamError is not null)
                    throw new OrchestratorException($"watching {resource} in namespace '{@namespace}' failed: {streamError.Message}", streamError);
                broken = 0;
            }
        }
    }
}
