using Orchestrator.Recipes;

namespace Orchestrator.Scripting;

/// <summary>
/// Evaluates a build script with nothing but engine and framework types in its signature, so a host that loads
/// this assembly (and its compiler) into a load context of its own can bind a delegate to it and get the
/// engine's own <see cref="RecipeBook"/> back (Cake carries an older compiler than ours).
/// </summary>
public static class ScriptEntryPoint
{
    /// <summary>Compiles (or takes from the compile cache under <paramref name="cacheDirectory"/>) and runs the script; returns the recipes it declared.</summary>
    public static async Task<RecipeBook> EvaluateAsync(
        string scriptPath,
        IReadOnlyDictionary<string, string> buildArgs,
        string? cacheDirectory,
        Func<string, IReadOnlyDictionary<string, string>?>? baseImageEnvironment,
        CancellationToken cancellationToken)
    {
        var options = new ScriptHostOptions
        {
            BuildArgs = buildArgs,
            CacheDirectory = cacheDirectory,
            BaseImageEnvironment = baseImageEnvironment,
        };
        var evaluation = await new ScriptHost().EvaluateAsync(scriptPath, options, cancellationToken).ConfigureAwait(false);
        return evaluation.Globals;
    }
}
