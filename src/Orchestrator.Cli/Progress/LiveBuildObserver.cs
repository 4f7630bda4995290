using Orchestrator.Planning;
using Spectre.Console;

namespace Orchestrator.Cli.Progress;

/// <summary>
/// Live per-node progress for terminals: one row per node showing its current step, with a
/// few recent lines of output kept for the failure summary.
/// </summary>
internal sealed class LiveBuildObserver : IBuildObserver
{
    private readonly Dictionary<string, ProgressTask> _tasks = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private readonly List<string> _messages = [];

    private LiveBuildObserver() { }

    /// <summary>Runs <paramref name="build"/> while drawing one progress row per node of <paramref name="graph"/>.</summary>
    public static async Task<T> RunAsync<T>(IAnsiConsole console, BuildGraph graph, Func<IBuildObserver, Task<T>> build)
    {
        var observer = new LiveBuildObserver();
        try
        {
            return await console.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
                .StartAsync(async context =>
                {
                    foreach (var node in graph.Nodes)
                        observer._tasks[node.Name] = context.AddTask(Describe(node.Name, "waiting"), autoStart: false, maxValue: node.Stage.Instructions.Count + 1);
                    return await build(observer);
                });
        }
        finally
        {
            // Printed below the rows, once they stop moving.
            foreach (var line in observer._messages) console.MarkupLine(line);
        }
    }

    public void OnWarning(string message)
    {
        lock (_gate) _messages.Add("[yellow]warning:[/] " + Markup.Escape(message));
    }

    public void OnNote(string message)
    {
        lock (_gate) _messages.Add(Markup.Escape(message));
    }

    public void OnNodeStarted(string node) => Update(node, t => { t.StartTask(); t.Description = Describe(node, "starting"); });

    public void OnStepStarted(string node, int index, int count, string description) =>
        Update(node, t =>
        {
            t.MaxValue = count;
            t.Value = index - 1;
            t.Description = Describe(node, $"{index}/{count} {description}");
        });

    public void OnStepCached(string node, int index, int count, string description) =>
        Update(node, t =>
        {
            t.MaxValue = count;
            t.Value = index;
            t.Description = Describe(node, $"{index}/{count} CACHED {description}");
        });

    public void OnNodeCompleted(string node, StageResult result, TimeSpan elapsed) =>
        Update(node, t =>
        {
            t.Value = t.MaxValue;
            t.Description = Describe(node, result.FromCache ? "[green]cached[/]" : result.CachedSteps > 0 ? $"[green]done[/] ({result.CachedSteps} steps cached)" : "[green]done[/]", markup: true);
            t.StopTask();
        });

    public void OnNodeFailed(string node, Exception error, TimeSpan elapsed) =>
        Update(node, t => { t.Description = Describe(node, "[red]failed[/]", markup: true); t.StopTask(); });

    public void OnNodeSkipped(string node, string reason) =>
        Update(node, t => { t.Description = Describe(node, "[grey]skipped[/]", markup: true); t.StopTask(); });

    private void Update(string node, Action<ProgressTask> change)
    {
        lock (_gate)
            if (_tasks.TryGetValue(node, out var task)) change(task);
    }

    private static string Describe(string node, string status, bool markup = false)
    {
        var text = markup ? status : Markup.Escape(status.Length > 60 ? status[..59] + "…" : status);
        return $"[bold]{Markup.Escape(node)}[/] {text}";
    }
}
