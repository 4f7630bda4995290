using Orchestrator.Kubernetes;
using Orchestrator.Planning;

namespace Orchestrator.Hosting;

/// <summary>Creates the Kubernetes executor from the build's settings (<c>--backend kubernetes</c>).</summary>
internal static class KubernetesBackend
{
    public static IStageExecutor Create(BuildSettings settings) =>
        KubernetesStageExecutor.Connect(Options(settings));

    public static KubernetesOptions Options(BuildSettings settings) => settings.Kubernetes with
    {
        Push = !settings.NoPush,
        Reproducible = settings.Reproducible,
        Platform = settings.Platform,
        InsecureRegistries = settings.InsecureRegistries,
        BuildArgs = settings.BuildArgs,
        Registry = Backends.RegistryOptions(settings),
    };
}
