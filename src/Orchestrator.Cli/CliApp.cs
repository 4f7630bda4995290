using System.CommandLine;
using Orchestrator.Hosting;

namespace Orchestrator.Cli;

/// <summary>The <c>dotnet orchestrate</c> command tree.</summary>
public static class CliApp
{
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default) =>
        RunAsync(args, stdout, stderr, ExecutorOnlyBuild.IsEnabled ? NoScripts : ScriptRecipes.LoadAsync, BuildHost.CreateExecutor, cancellationToken);

    /// <summary>The executor build's loader (<see cref="ExecutorOnlyBuild"/>): it has no command that loads a script.</summary>
    private static Task<Recipes.RecipeBook> NoScripts(BuildSettings settings, CancellationToken cancellationToken) =>
        throw new OrchestratorException($"{settings.ScriptPath}: this executor build cannot compile recipe scripts; run the dotnet-orchestrate tool");

    internal static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, RecipeLoader loader, ExecutorFactory executors, CancellationToken cancellationToken = default, CachePlanSource? planCache = null)
    {
        var root = CreateCommandTree(stdout, stderr, loader, executors, planCache);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) stderr.WriteLine("error: " + error.Message);
            if (ExecutorOnlyBuild.IsEnabled)
                stderr.WriteLine("This is the executor image's build of dotnet-orchestrate: it runs 'executor' and 'k8s fetch-context' only. " +
                    "Recipe scripts (build.csx) and the other commands are in the tool: dotnet tool install --global Orchestrator.Cli");
            stderr.WriteLine("Run 'dotnet orchestrate --help' for usage.");
            return ExitCodes.UsageError;
        }
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false }, cancellationToken);
        }
        catch (OrchestratorException error)
        {
            stderr.WriteLine("error: " + error.Message);
            return ExitCodes.UsageError;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            stderr.WriteLine("error: cancelled");
            return ExitCodes.Cancelled;
        }
        catch (Exception error)
        {
            // Not a user error: a defect. Say so, with what is needed to report it.
            stderr.WriteLine($"internal error (please report it with the command line you ran): {error}");
            return ExitCodes.BuildFailed;
        }
    }

    /// <summary>The command tree with its options and actions, parsed without running anything by tests (e.g. of the CI examples' command lines).</summary>
    internal static RootCommand CreateCommandTree(TextWriter stdout, TextWriter stderr, RecipeLoader loader, ExecutorFactory executors, CachePlanSource? planCache = null)
    {
        if (ExecutorOnlyBuild.IsEnabled) return CreateExecutorCommandTree(stdout, stderr, executors, planCache);
        var root = new RootCommand("Builds container images from typed C# recipes (build.csx) or Dockerfiles, without a Docker daemon.");
        var rootBuild = new BuildCommand();
        rootBuild.AddTo(root);
        var build = new Command("build", "Build (or with --plan, only plan) the images of a build script. The default command.");
        var buildOptions = new BuildCommand();
        buildOptions.AddTo(build);
        root.Subcommands.Add(build);

        var runner = new BuildRunner(stdout, stderr, executors, planCache ?? BuildHost.PlanCacheAsync);
        root.SetAction((result, token) => runner.RunAsync(rootBuild.Read(result), loader, token));
        build.SetAction((result, token) => runner.RunAsync(buildOptions.Read(result), loader, token));
        root.Subcommands.Add(new ExecutorCommand().Create(runner.RunAsync));
        root.Subcommands.Add(new UnshareCommand().Create());
        root.Subcommands.Add(new CacheCommand(stdout, stderr).Create());
        root.Subcommands.Add(new KubernetesCommand(stdout).Create());
        root.Subcommands.Add(new ConvertCommand(stdout, stderr).Create());
        return root;
    }

    /// <summary>The executor build's commands (<see cref="ExecutorOnlyBuild"/>): what a build pod runs.</summary>
    private static RootCommand CreateExecutorCommandTree(TextWriter stdout, TextWriter stderr, ExecutorFactory executors, CachePlanSource? planCache)
    {
        var root = new RootCommand("Builds one Dockerfile like Kaniko's executor (this build of dotnet-orchestrate has no recipe scripts: see the dotnet-orchestrate tool).");
        var runner = new BuildRunner(stdout, stderr, executors, planCache ?? BuildHost.PlanCacheAsync);
        root.Subcommands.Add(new ExecutorCommand().Create(runner.RunAsync));
        root.Subcommands.Add(new KubernetesCommand(stdout).CreateForPods());
        return root;
    }
}
