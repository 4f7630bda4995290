using Orchestrator.Recipes;
using Orchestrator.Scripting;

namespace Orchestrator.Hosting;

/// <summary>Evaluates the build script of <see cref="BuildSettings.ScriptPath"/> with the script host of this load context.</summary>
public static class ScriptRecipes
{
    /// <summary>A <see cref="RecipeLoader"/>: the recipes the script declares, compiled with the compiler this process loaded for Orchestrator.Scripting.</summary>
    public static Task<RecipeBook> LoadAsync(BuildSettings settings, CancellationToken cancellationToken) =>
        LoadAsync(settings, ScriptEntryPoint.EvaluateAsync, cancellationToken);

    /// <summary>Checks the script exists and evaluates it with <paramref name="evaluate"/>, with the settings' build args, compile cache and base-image lookup.</summary>
    internal static Task<RecipeBook> LoadAsync(BuildSettings settings, ScriptEvaluator evaluate, CancellationToken cancellationToken)
    {
        var scriptPath = Path.GetFullPath(settings.ScriptPath);
        if (!File.Exists(scriptPath))
            throw new OrchestratorException($"build script '{settings.ScriptPath}' not found (looked at {scriptPath}); pass its path, e.g. `dotnet orchestrate examples/hello/build.csx`");
        var cacheDirectory = settings.NoCache ? null : Backends.CacheDirectory(settings);
        return evaluate(scriptPath, settings.BuildArgs, cacheDirectory, Backends.BaseImages(settings).Lookup, cancellationToken);
    }
}

/// <summary>
/// The shape of <c>Orchestrator.Scripting.ScriptEntryPoint.EvaluateAsync</c>: engine and framework types only, so it can be bound
/// in a load context of its own (see <see cref="IsolatedScriptHost"/>).
/// </summary>
internal delegate Task<RecipeBook> ScriptEvaluator(
    string scriptPath,
    IReadOnlyDictionary<string, string> buildArgs,
    string? cacheDirectory,
    Func<string, IReadOnlyDictionary<string, string>?>? baseImageEnvironment,
    CancellationToken cancellationToken);
