using Orchestrator.Execution;
using Orchestrator.Kubernetes;
using Orchestrator.Layers;
using Orchestrator.Planning;

namespace Orchestrator.Hosting;

/// <summary>Creates the Kubernetes executor from the build's settings (<c>--backend kubernetes</c>).</summary>
internal static class KubernetesBackend
{
    public static IStageExecutor Create(BuildSettings settings) =>
        KubernetesStageExecutor.Connect(Options(settings));

    public static KubernetesOptions Options(BuildSettings settings) => settings.Kubernetes.With(settings.KubernetesFlags.Over(settings.KubernetesScript)) with
    {
        Push = !settings.NoPush,
        Reproducible = settings.Reproducible,
        Platform = settings.Platform,
        InsecureRegistries = settings.InsecureRegistries,
        RegistryCertificates = settings.RegistryCertificates,
        SkipTlsVerifyRegistries = settings.SkipTlsVerifyRegistries,
        BuildArgs = settings.BuildArgs,
        Registry = Backends.RegistryOptions(settings),
        CacheLookup = CacheLookup(settings),
    };

    /// <summary>
    /// The cache as the executor in a pod sees it (<c>--cache=true --cache-repo</c>, default layer encoding, no
    /// SOURCE_DATE_EPOCH in the pod), with this machine's cache folder in front, so a node whose every step hits is
    /// found here with the keys the executor would compute.
    /// </summary>
    private static LocalBuildOptions? CacheLookup(BuildSettings settings)
    {
        if (settings.NoCache) return null;
        var timestamps = TimestampPolicy.Resolve(settings.Reproducible, null);
        return new LocalBuildOptions
        {
            CacheDirectory = Path.GetFullPath(settings.CacheDirectory ?? LocalBuildOptions.DefaultCacheDirectory),
            Registry = Backends.RegistryOptions(settings),
            Platform = settings.Platform,
            CacheTimeToLive = settings.CacheTimeToLive,
            PushCache = !settings.NoPushCache,
            CacheRequired = settings.CacheRequired,
            CreatedAt = timestamps.IsFixed ? timestamps.Epoch!.Value : DateTimeOffset.UtcNow,
            Layers = new LayerWriterOptions { Timestamps = timestamps },
        };
    }
}
