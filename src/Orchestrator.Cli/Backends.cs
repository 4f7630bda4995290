using Orchestrator.Planning;
using Orchestrator.Recipes;

namespace Orchestrator.Cli;

/// <summary>Wires the front end to the engine: the script host and the executors of each backend.</summary>
internal static class Backends
{
    public static Task<RecipeBook> LoadScriptAsync(string scriptPath, BuildSettings settings, CancellationToken cancellationToken) =>
        throw new OrchestratorException("the script host is not wired yet");

    public static IStageExecutor Create(BuildSettings settings) =>
        throw new OrchestratorException($"the '{settings.Backend}' backend is not available in this version; use --plan to see the build graph");
}
