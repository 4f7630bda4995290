using Cake.Core;
using Cake.Core.Annotations;
using Cake.Core.IO;
using Orchestrator.Hosting;
using Orchestrator.Recipes;

namespace Orchestrator.Cake;

/// <summary>
/// Builds container images from a Cake script: a <c>build.csx</c> (<c>OrchestratorBuild("build.csx", settings)</c>)
/// or recipes declared inline with <c>Image(...)</c>, <c>Stage(...)</c> (<c>OrchestratorBuild(settings)</c>).
/// Node progress goes to Cake's log; a failure fails the task with the message that names what to fix.
/// </summary>
[CakeAliasCategory("Orchestrator")]
[CakeNamespaceImport("Orchestrator.Cake")]
[CakeNamespaceImport("Orchestrator.Hosting")]
public static class OrchestratorAliases
{
    /// <summary>Builds the images of a <c>build.csx</c>.</summary>
    /// <returns>The built images: name, digest, where they were published.</returns>
    [CakeMethodAlias]
    public static BuildReport OrchestratorBuild(this ICakeContext context, FilePath script, OrchestratorSettings? settings = null)
    {
        var build = Settings(context, settings, script);
        return Report(context, Wait(() => BuildHost.BuildAsync(build, IsolatedScriptHost.LoadAsync)));
    }

    /// <summary>Builds the recipes this Cake script declared with <c>Image</c>, <c>Stage</c>, <c>Dockerfile</c> (every image, or <see cref="OrchestratorSettings.Targets"/>).</summary>
    [CakeMethodAlias]
    public static BuildReport OrchestratorBuild(this ICakeContext context, OrchestratorSettings? settings = null) =>
        Report(context, Wait(() => BuildHost.BuildAsync(Settings(context, settings), CakeRecipeBooks.For(context))));

    /// <summary>Builds these inline recipes (and the stages they need) only.</summary>
    [CakeMethodAlias]
    public static BuildReport OrchestratorBuild(this ICakeContext context, OrchestratorSettings? settings, params RecipeBuilder[] recipes)
    {
        var build = Settings(context, settings) with { Targets = recipes.Select(r => r.Name).ToList() };
        return Report(context, Wait(() => BuildHost.BuildAsync(build, CakeRecipeBooks.For(context))));
    }

    /// <summary>Plans a <c>build.csx</c>: the graph and each step's cache status, logged like <c>dotnet orchestrate --plan</c>; nothing runs.</summary>
    [CakeMethodAlias]
    public static BuildPlan OrchestratorPlan(this ICakeContext context, FilePath script, OrchestratorSettings? settings = null) =>
        Log(context, Wait(() => BuildHost.PlanAsync(Settings(context, settings, script), IsolatedScriptHost.LoadAsync)));

    /// <summary>Plans the recipes this Cake script declared inline; nothing runs.</summary>
    [CakeMethodAlias]
    public static BuildPlan OrchestratorPlan(this ICakeContext context, OrchestratorSettings? settings = null) =>
        Log(context, Wait(() => BuildHost.PlanAsync(Settings(context, settings), CakeRecipeBooks.For(context))));

    private static BuildSettings Settings(ICakeContext context, OrchestratorSettings? settings, FilePath? script = null) =>
        (settings ?? new OrchestratorSettings()).ToBuildSettings(context, script);

    private static BuildReport Report(ICakeContext context, BuildReport report)
    {
        context.Log.Write(global::Cake.Core.Diagnostics.Verbosity.Normal, global::Cake.Core.Diagnostics.LogLevel.Information,
            "cache: {0} of {1} steps cached, {2} of {3} nodes not run", report.CachedSteps, report.Steps, report.NodesNotRun, report.Nodes);
        foreach (var image in report.Images)
            foreach (var place in image.Published)
                context.Log.Write(global::Cake.Core.Diagnostics.Verbosity.Normal, global::Cake.Core.Diagnostics.LogLevel.Information, "{0} → {1}", image.Name, place);
        return report;
    }

    private static BuildPlan Log(ICakeContext context, BuildPlan plan)
    {
        context.Log.Write(global::Cake.Core.Diagnostics.Verbosity.Normal, global::Cake.Core.Diagnostics.LogLevel.Information, "{0}", plan.Render());
        return plan;
    }

    /// <summary>Cake aliases are synchronous; the build runs on the thread pool so no synchronisation context can deadlock it.</summary>
    private static T Wait<T>(Func<Task<T>> build) => Task.Run(build).GetAwaiter().GetResult();
}
