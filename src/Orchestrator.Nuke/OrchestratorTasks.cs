using Orchestrator.Hosting;
using Orchestrator.Recipes;

namespace Orchestrator.Nuke;

/// <summary>
/// Container image builds as Nuke tasks: <c>OrchestratorTasks.Build(s =&gt; s.SetScript("build.csx").EnableNoPush())</c>.
/// Recipes come from a <c>build.csx</c>, or from a <see cref="RecipeBook"/> filled in the build's own code.
/// A failure throws an <see cref="OrchestratorException"/> whose message names what to fix, which fails the target.
/// </summary>
public static class OrchestratorTasks
{
    /// <summary>Builds the images of the script (<see cref="OrchestratorBuildSettingsExtensions.SetScript"/>); returns them with their digests.</summary>
    public static BuildReport Build(Configure<OrchestratorBuildSettings> configure) => Build(configure(new OrchestratorBuildSettings()));

    public static BuildReport Build(OrchestratorBuildSettings settings) =>
        Wait(() => BuildHost.BuildAsync(Settings(settings), ScriptRecipes.LoadAsync));

    /// <summary>Builds recipes declared in code (<c>var book = new RecipeBook(RootDirectory); book.Image("api")...</c>).</summary>
    public static BuildReport Build(RecipeBook recipes, Configure<OrchestratorBuildSettings>? configure = null) =>
        Wait(() => BuildHost.BuildAsync(Settings((configure ?? (s => s))(new OrchestratorBuildSettings())), recipes));

    /// <summary>The script's graph and each step's cache status (<see cref="BuildPlan.Render"/> prints it like <c>--plan</c>); nothing runs.</summary>
    public static BuildPlan Plan(Configure<OrchestratorBuildSettings> configure) =>
        Wait(() => BuildHost.PlanAsync(Settings(configure(new OrchestratorBuildSettings())), ScriptRecipes.LoadAsync));

    public static BuildPlan Plan(RecipeBook recipes, Configure<OrchestratorBuildSettings>? configure = null) =>
        Wait(() => BuildHost.PlanAsync(Settings((configure ?? (s => s))(new OrchestratorBuildSettings())), recipes));

    private static BuildSettings Settings(OrchestratorBuildSettings settings) =>
        settings.Build.Observer is null
            ? settings.Build with { Observer = new PlainBuildObserver(settings.Logger ?? Console.Out.WriteLine) }
            : settings.Build;

    /// <summary>Nuke targets are synchronous; the build runs on the thread pool so no synchronisation context can deadlock it.</summary>
    private static T Wait<T>(Func<Task<T>> run) => Task.Run(run).GetAwaiter().GetResult();
}
