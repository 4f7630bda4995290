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

    /// <summary>
    /// Deletes the per-node credential Secrets (<c>--push-secret-from-local</c>) and certificate ConfigMaps a killed build
    /// left, by the same labels; returns them as <c>secret/NAME</c> and <c>configmap/NAME</c>. Null, with nothing deleted,
    /// when the account may not list secrets (the example Role grants only <c>get</c> on the push secret).
    /// </summary>
    public static async Task<IReadOnlyList<string>?> RunForSecretsAsync(IKubernetes client, string @namespace, string? buildId, CancellationToken cancellationToken)
    {
        var selector = KubernetesNames.Selector(buildId);
        V1SecretList secrets;
        V1ConfigMapList maps;
        try
        {
            secrets = await client.CoreV1.ListNamespacedSecretAsync(@namespace, labelSelector: selector, cancellationToken: cancellationToken).ConfigureAwait(false);
            maps = await client.CoreV1.ListNamespacedConfigMapAsync(@namespace, labelSelector: selector, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (k8s.Autorest.HttpOperationException error) when (error.Response.StatusCode == System.Net.HttpStatusCode.Forbidden)
        {
            return null;
        }
        var deleted = new List<string>();
        foreach (var secret in secrets.Items)
        {
            await KubernetesApiCall.RunAsync("delete", "secrets", @namespace, () => client.CoreV1.DeleteNamespacedSecretAsync(secret.Metadata.Name, @namespace, cancellationToken: cancellationToken)).ConfigureAwait(false);
            deleted.Add("secret/" + secret.Metadata.Name);
        }
        foreach (var map in maps.Items)
        {
            await KubernetesApiCall.RunAsync("delete", "configmaps", @namespace, () => client.CoreV1.DeleteNamespacedConfigMapAsync(map.Metadata.Name, @namespace, cancellationToken: cancellationToken)).ConfigureAwait(false);
            deleted.Add("configmap/" + map.Metadata.Name);
        }
        return deleted;
    }
}
