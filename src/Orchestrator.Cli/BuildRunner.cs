using Orchestrator.Cli.Progress;
using Orchestrator.Planning;
using Orchestrator.Recipes;
using Spectre.Console;

namespace Orchestrator.Cli;

/// <summary>Loads the recipes, plans, and runs the build: the CLI's whole job, with exit codes.</summary>
internal sealed class BuildRunner(TextWriter stdout, TextWriter stderr, ExecutorFactory createExecutor, CachePlanSource planCache)
{
    public async Task<int> RunAsync(BuildSettings settings, RecipeLoader loadRecipes, CancellationToken cancellationToken)
    {
        BuildGraph graph;
        try
        {
            var book = await loadRecipes(settings, cancellationToken);
            settings = settings with { KubernetesScript = book.KubernetesSettings };
            var recipes = BuildOverrides.Apply(book.Build(new RecipeValidationOptions { Push = !settings.NoPush && settings.Output is null }), settings);
            graph = GraphBuilder.Build(recipes, settings.Targets);
            graph = BuildOverrides.ApplyOutput(graph, settings.Output);
        }
        catch (OrchestratorException error)
        {
            stderr.WriteLine(error is RecipeException ? error.Message : "error: " + error.Message);
            return ExitCodes.UsageError;
        }

        if (settings.PlanOnly)
        {
            var cache = settings.PlanFormat is PlanFormat.Text or PlanFormat.Json ? await planCache(settings, graph, cancellationToken) : null;
            stdout.Write(PlanRenderer.Render(graph, settings.PlanFormat, cache));
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
            var results = await RunWithProgressAsync(graph, executor, settings, cancellationToken);
            if (settings.Progress != "json")
            {
                var steps = graph.Nodes.Sum(n => n.Stage.Instructions.Count);
                if (steps > 0)
                    stdout.WriteLine($"cache: {results.Values.Sum(r => r.CachedSteps)} of {steps} steps cached, {results.Values.Count(r => r.FromCache)} of {graph.Nodes.Count} nodes not run");
                foreach (var node in graph.Nodes.Where(n => n.IsRequested))
                    foreach (var place in results[node.Name].Published)
                        stdout.WriteLine($"{node.Name} → {place}");
            }
            await DigestFiles.WriteAsync(settings, graph, results, cancellationToken);
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
            CacheMaintenance.AfterBuild(settings, stderr);
        }
    }

    private Task<IReadOnlyDictionary<string, StageResult>> RunWithProgressAsync(BuildGraph graph, IStageExecutor executor, BuildSettings settings, CancellationToken cancellationToken)
    {
        Task<IReadOnlyDictionary<string, StageResult>> Run(IBuildObserver observer) =>
            new GraphScheduler(executor, settings.Jobs, observer).RunAsync(graph, cancellationToken);

        return settings.Progress switch
        {
            "json" => Run(new JsonBuildObserver(stdout)),
            "plain" => Run(new PlainBuildObserver(stdout, settings.Verbose)),
            _ when IsTerminal() => LiveBuildObserver.RunAsync(AnsiConsole.Console, graph, Run),
            _ => Run(new PlainBuildObserver(stdout, settings.Verbose)),
        };
    }

    private bool IsTerminal() =>
        ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("CI") is null;
}

/// <summary>Produces the recipes of a run: evaluates the build script, or imports a Dockerfile (executor).</summary>
internal delegate Task<RecipeBook> RecipeLoader(BuildSettings settings, CancellationToken cancellationToken);

/// <summary>The cache status of every step for <c>--plan</c> (keys computed and looked up; nothing runs).</summary>
internal delegate Task<CachePlan> CachePlanSource(BuildSettings settings, BuildGraph graph, CancellationToken cancellationToken);

/// <summary>Creates the executor for the chosen backend; throws an <see cref="OrchestratorException"/> when it cannot.</summary>
internal delegate IStageExecutor ExecutorFactory(BuildSettings settings);
