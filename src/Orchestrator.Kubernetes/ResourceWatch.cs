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
    /// <summary>How many lists were made: one, plus one per 410 Gone.</summary>
    public int Lists { get; private set; }

    /// <summary>Feeds every object (listed, added, modified) to <paramref name="observe"/> until it returns true.</summary>
    public async Task RunAsync(Func<WatchEventType, T, bool> observe, CancellationToken cancellationToken)
    {
        while (true)
        {
            var listed = await KubernetesApiCall.RunAsync("list", resource, @namespace, () => list(cancellationToken)).ConfigureAwait(false);
            foreach (var item in listed.Items)
                if (observe(WatchEventType.Added, item)) return;
            var version = listed.Metadata?.ResourceVersion;
            Lists++;
            while (true)
            {
                Exception? streamError = null;
                try
                {
                    await foreach (var (type, item) in watch(version, error => streamError = error, cancellationToken).ConfigureAwait(false))
                    {
                        if (item?.Metadata?.ResourceVersion is { } seen) version = seen;
                        if (type is WatchEventType.Bookmark or WatchEventType.Error || item is null) continue;
                        if (observe(type, item)) return;
                    }
                }
                catch (HttpOperationException error)
                {
                    throw KubernetesApiCall.Translate(error, "watch", resource, @namespace);
                }
                cancellationToken.ThrowIfCancellationRequested();
                if (streamError is KubernetesException { Status.Code: (int)HttpStatusCode.Gone }) break; // too old: list again
                if (streamError is not null)
                    throw new OrchestratorException($"watching {resource} in namespace '{@namespace}' failed: {streamError.Message}", streamError);
            }
        }
    }
}
