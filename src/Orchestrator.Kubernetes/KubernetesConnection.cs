using k8s;
using k8s.Exceptions;

namespace Orchestrator.Kubernetes;

/// <summary>Opens the API client the way kubectl does: the kubeconfig (--kubeconfig, KUBECONFIG, ~/.kube/config) or, in a pod, the service account.</summary>
public static class KubernetesConnection
{
    public static (IKubernetes Client, string Namespace) Open(KubernetesOptions options)
    {
        KubernetesClientConfiguration config;
        try
        {
            if (options.KubeconfigPath is { } path && !File.Exists(path))
                throw new OrchestratorException($"--kubeconfig '{path}' does not exist; pass the path of a kubeconfig file");
            var explicitFile = options.KubeconfigPath ?? (options.Context is not null ? KubernetesClientConfiguration.KubeConfigDefaultLocation : null);
            config = explicitFile is not null
                ? KubernetesClientConfiguration.BuildConfigFromConfigFile(explicitFile, options.Context)
                : KubernetesClientConfiguration.BuildDefaultConfig();
        }
        catch (KubeConfigException error)
        {
            throw new OrchestratorException($"cannot load the Kubernetes configuration: {error.Message}. Pass --kubeconfig and --kube-context, set KUBECONFIG, or run inside a pod with a service account", error);
        }
        catch (FileNotFoundException error)
        {
            throw new OrchestratorException($"cannot load the Kubernetes configuration: {error.Message}. Pass --kubeconfig, set KUBECONFIG, or run inside a pod", error);
        }
        var @namespace = options.Namespace ?? config.Namespace ?? "default";
        return (new k8s.Kubernetes(config), @namespace);
    }
}
