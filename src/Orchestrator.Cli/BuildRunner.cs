using Orchestrator.Cli.Progress;
using Orchestrator.Planning;
using Orchestrator.Recipes;
using Spectre.Console;

namespace Orchestrator.Cli;

/// <summary>Loads the recipes, plans, and runs the build: the CLI's whole job, with exit codes.</summary>
internal sealed class BuildRunner(TextWriter stdout, TextWriter stderr, ExecutorFactory createExecutor)
{
    public async Task<int> RunAsync(BuildSettings settings, RecipeLoader loadRecipes, CancellationToken cancellationToken)
    {
        BuildGraph graph;
        try
        {
            var book = await loadRecipes(settings, cancellationToken);
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
            stdout.Write(PlanRenderer.Render(graph, settings.PlanFormat));
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
                foreach (var node in graph.Nodes.Where(n => n.IsRequested))
                    foreach (var place in results[node.Name].Published)
                        stdout.WriteLine($"{node.Name} → {place}");
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

/// <summary>Creates the executor for the chosen backend; throws an <see cref="OrchestratorException"/> when it cannot.</summary>
internal delegate IStageExecutor ExecutorFactory(BuildSettings settings);
