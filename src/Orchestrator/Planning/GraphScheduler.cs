using System.Diagnostics;

namespace Orchestrator.Planning;

/// <summary>
/// Runs the nodes of a <see cref="BuildGraph"/> through an <see cref="IStageExecutor"/>: a node starts as
/// soon as all its dependencies are done, at most <c>maxParallel</c> at a time. The first failure cancels
/// the nodes still running and skips the ones not started; the build then fails with every error.
/// </summary>
public sealed class GraphScheduler(IStageExecutor executor, int maxParallel, IBuildObserver? observer = null)
{
    private readonly IBuildObserver _observer = observer ?? NullBuildObserver.Instance;

    public int MaxParallel { get; } = maxParallel >= 1 ? maxParallel : throw new ArgumentOutOfRangeException(nameof(maxParallel), "--jobs must be at least 1");

    public async Task<IReadOnlyDictionary<string, StageResult>> RunAsync(BuildGraph graph, CancellationToken cancellationToken)
    {
        using var failFast = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var slots = new SemaphoreSlim(MaxParallel);
        var results = new Dictionary<string, StageResult>(StringComparer.Ordinal);
        var failures = new Dictionary<string, Exception>(StringComparer.Ordinal);
        var running = new Dictionary<Task<StageResult>, string>();
        var pending = graph.Nodes.ToList();

        while (pending.Count > 0 || running.Count > 0)
        {
            if (failures.Count == 0 && !failFast.IsCancellationRequested)
            {
                foreach (var node in pending.Where(n => n.Dependencies.All(results.ContainsKey)).ToList())
                {
                    pending.Remove(node);
                    var inputs = node.Dependencies.ToDictionary(d => d, d => results[d]);
                    running.Add(RunNodeAsync(node, inputs, slots, failFast.Token), node.Name);
                }
            }
            else
            {
                foreach (var node in pending)
                    _observer.OnNodeSkipped(node.Name, failures.Count > 0 ? "an earlier node failed" : "cancelled");
                pending.Clear();
            }

            if (running.Count == 0)
            {
                if (pending.Count > 0 && failures.Count == 0)
                    throw new InvalidOperationException("nodes wait for dependencies outside the graph: " + string.Join(", ", pending.Select(n => n.Name)));
                break;
            }
            var finished = await Task.WhenAny(running.Keys).ConfigureAwait(false);
            var name = running[finished];
            running.Remove(finished);
            try
            {
                results[name] = await finished.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (failFast.IsCancellationRequested)
            {
                // Cancelled because another node failed or the user interrupted; reported below.
            }
            catch (Exception error)
            {
                failures[name] = error;
                await failFast.CancelAsync().ConfigureAwait(false);
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        // What the nodes that finished recorded (cache entries) stays useful even when another node failed.
        await executor.CompleteAsync(_observer, cancellationToken).ConfigureAwait(false);
        if (failures.Count > 0) throw new BuildFailedException(failures);
        return results;
    }

    private async Task<StageResult> RunNodeAsync(GraphNode node, IReadOnlyDictionary<string, StageResult> inputs, SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        try
        {
            _observer.OnNodeStarted(node.Name);
            var result = await executor.ExecuteAsync(new StageJob(node, inputs, _observer), cancellationToken).ConfigureAwait(false);
            _observer.OnNodeCompleted(node.Name, result, clock.Elapsed);
            return result;
        }
        catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _observer.OnNodeFailed(node.Name, error, clock.Elapsed);
            throw;
        }
        finally
        {
            slots.Release();
        }
    }
}
