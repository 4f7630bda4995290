using System.Net;
using System.Text.Json;
using k8s.Autorest;

namespace Orchestrator.Kubernetes;

/// <summary>
/// Runs one API request and turns the API server's refusals into errors that say what to do: a 403 names the
/// verb, resource and namespace the account lacks (and the Role to grant them), other codes quote the Status.
/// </summary>
internal static class KubernetesApiCall
{
    public static async Task<T> RunAsync<T>(string verb, string resource, string @namespace, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (HttpOperationException error)
        {
            throw Translate(error, verb, resource, @namespace);
        }
        catch (HttpRequestException error)
        {
            throw new OrchestratorException($"cannot reach the Kubernetes API to {verb} {resource} in namespace '{@namespace}': {error.Message}. Check --kubeconfig / --kube-context and that the cluster is up", error);
        }
    }

    public static Exception Translate(HttpOperationException error, string verb, string resource, string @namespace)
    {
        var status = error.Response?.StatusCode;
        var message = StatusMessage(error.Response?.Content) ?? error.Message;
        return status switch
        {
            HttpStatusCode.Forbidden => new OrchestratorException(
                $"the Kubernetes API refused to {verb} {resource} in namespace '{@namespace}' (403 Forbidden: {message}). " +
                $"Grant the verb '{verb}' on '{resource}' to the account in a Role of that namespace (examples/kubernetes/rbac.yaml lists every rule the backend needs)", error),
            HttpStatusCode.Unauthorized => new OrchestratorException($"the Kubernetes API did not accept the credentials to {verb} {resource} (401: {message}); check the kubeconfig's user", error),
            HttpStatusCode.NotFound => new OrchestratorException($"cannot {verb} {resource} in namespace '{@namespace}': not found ({message}); check --namespace", error),
            HttpStatusCode.Conflict => new OrchestratorException($"cannot {verb} {resource} in namespace '{@namespace}': it already exists ({message}); run `dotnet orchestrate k8s cleanup` to remove leftovers", error),
            HttpStatusCode.UnprocessableEntity => new OrchestratorException($"the Kubernetes API rejected the {resource} object ({message}); check --executor-image, --service-account and --push-secret", error),
            _ => new OrchestratorException($"cannot {verb} {resource} in namespace '{@namespace}': {(int?)status} {message}", error),
        };
    }

    /// <summary>The <c>message</c> of a Status body, when the body is one.</summary>
    private static string? StatusMessage(string? body)
    {
        if (string.IsNullOrWhiteSpace(body)) return null;
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("message", out var message) ? message.GetString() : null;
        }
        catch (JsonException)
        {
            return body.Length > 300 ? body[..300] : body;
        }
    }
}
