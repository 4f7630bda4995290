using System.Security.Cryptography;
using System.Text;

namespace Orchestrator.Kubernetes;

/// <summary>Labels and object names of the objects this backend creates, so a build's objects can be found and removed.</summary>
public static class KubernetesNames
{
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "orchestrator";
    public const string BuildIdLabel = "orchestrator.build/id";
    public const string NodeLabel = "orchestrator.build/node";

    /// <summary>Selects every object this backend manages; with a build id, only that build's.</summary>
    public static string Selector(string? buildId = null) =>
        $"{ManagedByLabel}={ManagedByValue}" + (buildId is null ? "" : $",{BuildIdLabel}={buildId}");

    /// <summary>A fresh build id: 10 lowercase hex characters (a valid label value and name part).</summary>
    public static string NewBuildId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5));

    /// <summary>
    /// The Job name of a node: <c>orch-&lt;build&gt;-&lt;node&gt;</c> as a DNS label. The pod's <c>job-name</c> label
    /// holds it, so it stays within 63 characters; a shortened node name gets a hash suffix to stay unique.
    /// </summary>
    public static string JobName(string buildId, string node, int attempt = 0)
    {
        var prefix = $"orch-{buildId}-";
        var suffix = attempt == 0 ? "" : "-r" + attempt;
        var part = Dns1123(node);
        var room = 63 - prefix.Length - suffix.Length;
        if (part.Length > room || part != node)
        {
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(node)))[..6];
            part = part[..Math.Min(part.Length, room - 7)].TrimEnd('-') + "-" + hash;
        }
        return prefix + part + suffix;
    }

    /// <summary>A label value for a node name (≤ 63 of [A-Za-z0-9._-], alphanumeric at both ends).</summary>
    public static string NodeLabelValue(string node)
    {
        var value = new string(node.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-').ToArray());
        if (value.Length > 63) value = value[..63];
        return value.Trim('.', '_', '-') is { Length: > 0 } trimmed ? trimmed : "node";
    }

    private static string Dns1123(string value)
    {
        var text = new string(value.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray()).Trim('-');
        return text.Length == 0 ? "node" : text;
    }

    /// <summary>The ConfigMap of a build's registry certificates (<c>--registry-certificate</c>).</summary>
    public static string CertificatesConfigMap(string buildId) => $"orch-{buildId}-registry-certs";

    /// <summary>The key (and file name in the pods) of one registry's certificate: <c>registry.internal_5000.crt</c>.</summary>
    public static string CertificateKey(string registry) =>
        string.Concat(registry.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_')) + ".crt";

    /// <summary>The dockerconfigjson Secret of one node made from the local Docker config (<c>--push-secret-from-local</c>).</summary>
    public static string LocalPushSecret(string buildId, string node) => JobName(buildId, node, 0) + "-auth";
}
