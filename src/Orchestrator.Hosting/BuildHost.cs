using Orchestrator.Execution;
using Orchestrator.Planning;
using Orchestrator.Recipes;

namespace Orchestrator.Hosting;

/// <summary>
/// Runs builds for every front end: the CLI, Cake's aliases and Nuke's tasks. Recipes come from a build script
/// (<see cref="RecipeLoader"/>, by default <see cref="ScriptRecipes.LoadAsync"/>) or from a <see cref="RecipeBook"/>
/// filled in code. The smaller steps (<see cref="CreateGraph"/>, <see cref="CreateExecutor"/>, <see cref="RunAsync"/>)
/// are public for front ends that render progress themselves.
/// </summary>
public static class BuildHost
{
    /// <summary>Builds the recipes of <see cref="BuildSettings.ScriptPath"/> (or of <paramref name="loadRecipes"/>).</summary>
    /// <exception cref="OrchestratorException">The script, a recipe, the settings or the build failed; the message says which and what to do.</exception>
    public static async Task<BuildReport> BuildAsync(BuildSettings settings, RecipeLoader? loadRecipes = null, CancellationToken cancellationToken = default)
    {
        settings = settings.ForOneBuild();
        return await BuildRecipesAsync(settings, await (loadRecipes ?? ScriptRecipes.LoadAsync)(settings, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Builds the recipes declared in <paramref name="recipes"/> (Cake and Nuke builds declare them in code). Afterwards the
    /// local cache folder is kept under its limit, as after every CLI build (<c>ORCHESTRATOR_CACHE_KEEP_STORAGE</c>).
    /// </summary>
    public static Task<BuildReport> BuildAsync(BuildSettings settings, RecipeBook recipes, CancellationToken cancellationToken = default) =>
        BuildRecipesAsync(settings.ForOneBuild(), recipes, cancellationToken);

    private static async Task<BuildReport> BuildRecipesAsync(BuildSettings settings, RecipeBook recipes, CancellationToken cancellationToken)
    {
        settings = WithScriptSettings(settings, recipes);
        var graph = CreateGraph(settings, recipes);
        var executor = CreateExecutor(settings);
        try
        {
            return await RunAsync(settings, graph, executor, settings.Observer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            (executor as IDisposable)?.Dispose();
            CacheMaintenance.AfterBuild(settings, note => settings.Observer?.OnNote(note));
        }
    }

    /// <summary>The graph of the script's recipes and the cache status of every step; nothing runs.</summary>
    public static async Task<BuildPlan> PlanAsync(BuildSettings settings, RecipeLoader? loadRecipes = null, CancellationToken cancellationToken = default)
    {
        settings = settings.ForOneBuild();
        return await PlanAsync(settings, await (loadRecipes ?? ScriptRecipes.LoadAsync)(settings, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The graph of <paramref name="recipes"/> and the cache status of every step; nothing runs.</summary>
    public static async Task<BuildPlan> PlanAsync(BuildSettings settings, RecipeBook recipes, CancellationToken cancellationToken = default)
    {
        var graph = CreateGraph(settings, recipes);
        return new BuildPlan(graph, await PlanCacheAsync(settings, graph, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The settings with what the recipes' script set for the backend (<c>Kubernetes(k => …)</c>); flags still win over it.</summary>
    public static BuildSettings WithScriptSettings(BuildSettings settings, RecipeBook recipes) =>
        settings with { KubernetesScript = recipes.KubernetesSettings };

    /// <summary>
    /// Validates the recipes and plans the graph of the requested targets, with the settings' overrides
    /// (<see cref="BuildSettings.CacheRepo"/>, <see cref="BuildSettings.Output"/>) applied.
    /// </summary>
    public static BuildGraph CreateGraph(BuildSettings settings, RecipeBook recipes)
    {
        var set = BuildOverrides.Apply(recipes.Build(new RecipeValidationOptions { Push = !settings.NoPush && settings.Output is null }), settings);
        return BuildOverrides.ApplyOutput(GraphBuilder.Build(set, settings.Targets), settings.Output);
    }

    /// <summary>What the cache says of every step of <paramref name="graph"/>, looked up with the settings a build would use.</summary>
    public static Task<CachePlan> PlanCacheAsync(BuildSettings settings, BuildGraph graph, CancellationToken cancellationToken = default) =>
        Backends.PlanCacheAsync(settings, graph, cancellationToken);

    /// <summary>The executor of <see cref="BuildSettings.Backend"/>; dispose it when it is <see cref="IDisposable"/>.</summary>
    public static IStageExecutor CreateExecutor(BuildSettings settings) => Backends.Create(settings);

    /// <summary>How registry images' ENV are looked up (a Dockerfile's <c>ENV PATH=/x:$PATH</c> sees the base's PATH).</summary>
    public static Func<string, IReadOnlyDictionary<string, string>?> BaseImageEnvironment(BuildSettings settings) => Backends.BaseImages(settings).Lookup;

    /// <summary>Runs <paramref name="graph"/> on <paramref name="executor"/>, <see cref="BuildSettings.Jobs"/> nodes at once, reporting to <paramref name="observer"/>.</summary>
    public static async Task<BuildReport> RunAsync(BuildSettings settings, BuildGraph graph, IStageExecutor executor, IBuildObserver? observer, CancellationToken cancellationToken = default)
    {
        var results = await new GraphScheduler(executor, settings.Jobs, observer).RunAsync(graph, cancellationToken).ConfigureAwait(false);
        var images = graph.Nodes.Where(n => n.IsRequested)
            .Select(n => new BuiltImage(n.Name, results[n.Name].ManifestDigest, results[n.Name].Published, n.Stage.Destinations.ToList()))
            .ToList();
        return new BuildReport(
            images,
            Steps: graph.Nodes.Sum(n => n.Stage.Instructions.Count),
            CachedSteps: results.Values.Sum(r => r.CachedSteps),
            Nodes: graph.Nodes.Count,
            NodesNotRun: results.Values.Count(r => r.FromCache));
    }
}
