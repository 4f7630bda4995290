using k8s;
using k8s.Models;

namespace Orchestrator.Kubernetes;

/// <summary>
/// <c>--emit-manifests DIR</c>: writes every object the backend creates as YAML, one file per object
/// (<c>&lt;kind&gt;-&lt;name&gt;.yaml</c>). Secrets are only ever referenced by name, never written with values.
/// </summary>
public sealed class ManifestEmitter(string directory)
{
    public async Task WriteAsync(IKubernetesObject<V1ObjectMeta> item, CancellationToken cancellationToken)
    {
        if (item is V1Secret) throw new InvalidOperationException("secrets are never emitted");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{item.Kind.ToLowerInvariant()}-{item.Metadata.Name}.yaml");
        await File.WriteAllTextAsync(path, ToYaml(item), cancellationToken).ConfigureAwait(false);
    }

    public static string ToYaml(object item) => KubernetesYaml.Serialize(item).ReplaceLineEndings("\n");
}
