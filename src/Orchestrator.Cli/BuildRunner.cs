using Orchestrator.Cli.Progress;
using Orchestrator.Hosting;
using Orchestrator.Planning;
using Spectre.Console;

namespace Orchestrator.Cli;

/// <summary>Loads the recipes, plans, and runs the build through <see cref="BuildHost"/>, printing it and mapping the outcome to exit codes.</summary>
internal sealed class BuildRunner(TextWriter stdout, TextWriter stderr, ExecutorFactory createExecutor, CachePlanSource planCache)
{
    public async Task<int> RunAsync(BuildRequest request, RecipeLoader loadRecipes, CancellationToken cancellationToken)
    {
        var settings = request.Settings.ForOneBuild();
        BuildGraph graph;
        try
        {
            var book = await loadRecipes(settings, cancellationToken);
            settings = BuildHost.WithScriptSettings(settings, book);
            graph = BuildHost.CreateGraph(settings, book);
        }
        catch (OrchestratorException error)
        {
            stderr.WriteLine(error is Recipes.RecipeException ? error.Message : "error: " + error.Message);
            return ExitCodes.UsageError;
        }

        if (request.PlanOnly)
        {
            var cache = request.PlanFormat is PlanFormat.Text or PlanFormat.Json ? await planCache(settings, graph, cancellationToken) : null;
            stdout.Write(PlanRenderer.Render(graph, request.PlanFormat, cache));
            return ExitCodes.Ok;
        }

        IStageExecutor executor;
        try
        {
            executor = createExecutor(settings);
        }
        catch (OrchestratorException error)
        {
            stderr.WriteLine("error: " + error.Message);
            return ExitCodes.UsageError;
        }

        try
        {
            var report = await RunWithProgressAsync(graph, executor, request, cancellationToken);
            if (request.Progress != "json")
            {
                if (report.Steps > 0)
                    stdout.WriteLine($"cache: {report.CachedSteps} of {report.Steps} steps cached, {report.NodesNotRun} of {report.Nodes} nodes not run");
                foreach (var image in report.Images)
                    foreach (var place in image.Published)
                        stdout.WriteLine($"{image.Name} → {place}");
            }
            await DigestFiles.WriteAsync(request, report, cancellationToken);
            return ExitCodes.Ok;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            stderr.WriteLine("error: build cancelled");
            return ExitCodes.Cancelled;
        }
        catch (OrchestratorException error)
        {
            stderr.WriteLine("error: build failed");
            stderr.WriteLine(error.Message);
            return ExitCodes.BuildFailed;
        }
        finally
        {
            (executor as IDisposable)?.Dispose();
            CacheMaintenance.AfterBuild(settings, stderr.WriteLine);
        }
    }

    private Task<BuildReport> RunWithProgressAsync(BuildGraph graph, IStageExecutor executor, BuildRequest request, CancellationToken cancellationToken)
    {
        Task<BuildReport> Run(IBuildObserver observer) => BuildHost.RunAsync(request.Settings, graph, executor, observer, cancellationToken);

        return request.Progress switch
        {
            "json" => Run(new JsonBuildObserver(stdout)),
            "plain" => Run(new PlainBuildObserver(stdout, request.Verbose)),
            _ when IsTerminal() => LiveBuildObserver.RunAsync(AnsiConsole.Console, graph, Run),
            _ => Run(new PlainBuildObserver(stdout, request.Verbose)),
        };
    }

    private bool IsTerminal() =>
        ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("CI") is null;
}

/// <summary>The cache status of every step for <c>--plan</c> (keys computed and looked up; nothing runs).</summary>
internal delegate Task<CachePlan> CachePlanSource(BuildSettings settings, BuildGraph graph, CancellationToken cancellationToken);

/// <summary>Creates the executor for the chosen backend; throws an <see cref="OrchestratorException"/> when it cannot.</summary>
internal delegate IStageExecutor ExecutorFactory(BuildSettings settings);
