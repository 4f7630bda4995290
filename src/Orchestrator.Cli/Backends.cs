using Orchestrator.Execution;
using Orchestrator.Layers;
using Orchestrator.Oci.Registry;
using Orchestrator.Planning;
using Orchestrator.Recipes;
using Orchestrator.Scripting;

namespace Orchestrator.Cli;

/// <summary>Wires the front end to the engine: the script host and the executors of each backend.</summary>
internal static class Backends
{
    public static async Task<RecipeBook> LoadScriptAsync(string scriptPath, BuildSettings settings, CancellationToken cancellationToken)
    {
        var options = new ScriptHostOptions
        {
            BuildArgs = settings.BuildArgs,
            CacheDirectory = settings.NoCache ? null : CacheDirectory(settings),
        };
        var evaluation = await new ScriptHost().EvaluateAsync(scriptPath, options, cancellationToken).ConfigureAwait(false);
        return evaluation.Globals;
    }

    public static IStageExecutor Create(BuildSettings settings)
    {
        if (settings.Backend != "local")
            throw new OrchestratorException($"the '{settings.Backend}' backend is not available in this version; use --backend local, or --plan to see the build graph");
        if (!OperatingSystem.IsLinux())
            throw new OrchestratorException("the local builder needs Linux (user namespaces and overlayfs); use --plan, or build on a Linux machine");
        return new LocalStageExecutor(new LocalBuildOptions
        {
            CacheDirectory = CacheDirectory(settings),
            Push = !settings.NoPush,
            Registry = RegistryClientOptions.FromEnvironment() with { InsecureRegistries = settings.InsecureRegistries.ToList() },
            Layers = new LayerWriterOptions { Timestamps = TimestampPolicy.Resolve(reproducible: false, Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH")) },
        });
    }

    private static string CacheDirectory(BuildSettings settings) =>
        Path.GetFullPath(settings.CacheDirectory ?? LocalBuildOptions.DefaultCacheDirectory);
}
