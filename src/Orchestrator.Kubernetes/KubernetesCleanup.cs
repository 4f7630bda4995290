using k8s;
using k8s.Models;

namespace Orchestrator.Kubernetes;

/// <summary><c>dotnet orchestrate k8s cleanup</c>: deletes the Jobs this backend left (and their pods), found by label.</summary>
public static class KubernetesCleanup
{
    /// <summary>Deletes every managed Job (of one build when <paramref name="buildId"/> is given); returns their names.</summary>
    public static async Task<IReadOnlyList<string>> RunAsync(IKubernetes client, string @namespace, string? buildId, CancellationToken cancellationToken)
    {
        var selector = KubernetesNames.Selector(buildId);
        var jobs = await KubernetesApiCall.RunAsync("list", "jobs", @namespace, () => client.BatchV1.ListNamespacedJobAsync(@namespace, labelSelector: selector, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var deleted = new List<string>();
        foreach (var item in jobs.Items)
        {
            await KubernetesApiCall.RunAsync("delete", "jobs", @namespace, () => client.BatchV1.DeleteNamespacedJobAsync(item.Metadata.Name, @namespace,
                new V1DeleteOptions { PropagationPolicy = "Background" }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            deleted.Add(item.Metadata.Name);
        }
        return deleted;
    }
}
