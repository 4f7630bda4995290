using System.Text;
using System.Text.Json.Nodes;
using k8s.Models;
using Orchestrator.Oci;
using Orchestrator.Oci.Registry.Auth;

namespace Orchestrator.Kubernetes;

/// <summary>
/// <c>--push-secret-from-local</c>: a <c>kubernetes.io/dockerconfigjson</c> Secret holding this machine's Docker
/// credentials (config.json, credential helpers) for exactly the registries one node reads and pushes — nothing else
/// of the local config goes into the cluster. The Secret is never written to a log or an emitted manifest.
/// </summary>
public static class LocalPushSecret
{
    public const string Type = "kubernetes.io/dockerconfigjson";

    /// <summary>The Secret and the registries it has credentials for (the others are reached anonymously).</summary>
    public static async Task<(V1Secret Secret, IReadOnlyList<string> WithCredentials)> CreateAsync(
        string name, string buildId, string node, IEnumerable<string> registries, ICredentialProvider credentials, string @namespace, CancellationToken cancellationToken)
    {
        var auths = new JsonObject();
        var found = new List<string>();
        foreach (var registry in registries.Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal))
        {
            if (await credentials.GetCredentialsAsync(registry, cancellationToken).ConfigureAwait(false) is not { } credential) continue;
            var entry = new JsonObject();
            if (credential.HasPassword) entry["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Password}"));
            if (credential.IdentityToken is { } token) entry["identitytoken"] = token;
            // Docker Hub's key in a Docker config is its v1 URL.
            auths[registry == ImageReference.DockerHub ? "https://index.docker.io/v1/" : registry] = entry;
            found.Add(registry);
        }
        var secret = new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Type = Type,
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = @namespace,
                Labels = new Dictionary<string, string>
                {
                    [KubernetesNames.ManagedByLabel] = KubernetesNames.ManagedByValue,
                    [KubernetesNames.BuildIdLabel] = buildId,
                    [KubernetesNames.NodeLabel] = KubernetesNames.NodeLabelValue(node),
                },
            },
            Data = new Dictionary<string, byte[]> { [".dockerconfigjson"] = Encoding.UTF8.GetBytes(new JsonObject { ["auths"] = auths }.ToJsonString()) },
        };
        return (secret, found);
    }
}
