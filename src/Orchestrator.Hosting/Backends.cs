using Orchestrator.Execution;
using Orchestrator.Execution.Local;
using Orchestrator.Layers;
using Orchestrator.Oci.Registry;
using Orchestrator.Planning;
using Orchestrator.Recipes;

namespace Orchestrator.Hosting;

/// <summary>Turns build settings into the engine's options and creates the executor of the chosen backend.</summary>
internal static class Backends
{
    public static IStageExecutor Create(BuildSettings settings)
    {
        if (settings.Backend == "kubernetes")
            return ExecutorOnlyBuild.IsEnabled
                ? throw new OrchestratorException("this executor build runs the local backend only; use the dotnet-orchestrate tool for --backend kubernetes")
                : KubernetesBackend.Create(settings);
        if (settings.Backend != "local")
            throw new OrchestratorException($"unknown backend '{settings.Backend}'; use --backend local or --backend kubernetes");
        if (!OperatingSystem.IsLinux())
            throw new OrchestratorException("the local builder needs Linux (user namespaces and overlayfs); use --plan, or build on a Linux machine");
        return new LocalStageExecutor(LocalOptions(settings));
    }

    /// <summary>What the cache says of every step of <paramref name="graph"/> (for <c>--plan</c>), looked up with the settings a build would use.</summary>
    public static Task<CachePlan> PlanCacheAsync(BuildSettings settings, BuildGraph graph, CancellationToken cancellationToken) =>
        new CachePlanner(LocalOptions(settings)).PlanAsync(graph, cancellationToken);

    private static LocalBuildOptions LocalOptions(BuildSettings settings)
    {
        var timestamps = TimestampPolicy.Resolve(settings.Reproducible, Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH"));
        var registry = RegistryOptions(settings);
        return new LocalBuildOptions
        {
            CacheDirectory = CacheDirectory(settings),
            Push = !settings.NoPush,
            NoCache = settings.NoCache,
            CacheTimeToLive = settings.CacheTimeToLive,
            PushCache = !settings.NoPushCache,
            CacheRequired = settings.CacheRequired,
            CacheRunLayers = settings.CacheRunLayers,
            CacheCopyLayers = settings.CacheCopyLayers,
            Registry = registry,
            Secrets = settings.Secrets,
            SshAgents = settings.SshAgents,
            IgnorePaths = settings.IgnorePaths,
            Platform = settings.Platform,
            Sandbox = Sandbox(settings.Sandbox),
            CreatedAt = timestamps.IsFixed ? timestamps.Epoch!.Value : DateTimeOffset.UtcNow,
            ResolvedBases = settings.ResolvedBases,
            Layers = new LayerWriterOptions
            {
                Timestamps = timestamps,
                Compression = settings.Compression == "zstd" ? LayerCompression.Zstd : LayerCompression.Gzip,
                CompressionLevel = settings.CompressionLevel,
            },
        };
    }

    private static SandboxChoice Sandbox(string sandbox) =>
        Enum.TryParse<SandboxChoice>(sandbox, ignoreCase: true, out var choice) && Enum.IsDefined(choice)
            ? choice
            : throw new OrchestratorException($"sandbox '{sandbox}' is not one of: auto, overlay, chroot");

    public static BaseImageEnvironment BaseImages(BuildSettings settings) => new(RegistryOptions(settings), settings.Platform, settings.ResolvedBases);

    internal static RegistryClientOptions RegistryOptions(BuildSettings settings)
    {
        var registry = RegistryClientOptions.FromEnvironment() with
        {
            InsecureRegistries = settings.InsecureRegistries.ToList(),
            RegistryCertificates = settings.RegistryCertificates,
            SkipTlsVerifyRegistries = settings.SkipTlsVerifyRegistries,
            SkipTlsVerifyPull = settings.SkipTlsVerifyPull,
            PushRegistries = settings.PushRegistries,
            RegistryMirrors = settings.RegistryMirrors,
        };
        return settings.PushRetries is { } retries ? registry with { Retry = registry.Retry with { MaxAttempts = retries + 1 } } : registry;
    }

    internal static string CacheDirectory(BuildSettings settings) =>
        Path.GetFullPath(settings.CacheDirectory ?? LocalBuildOptions.DefaultCacheDirectory);
}
