using System.Collections.Concurrent;
using Orchestrator.Planning;
using Orchestrator.Recipes;

namespace Orchestrator.Tests.Planning;

public sealed class GraphSchedulerTests
{
    /// <summary>An executor whose nodes finish only when the test releases them, recording what ran when.</summary>
    private sealed class GatedExecutor : IStageExecutor
    {
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new();
        private int _running;

        public ConcurrentQueue<string> Started { get; } = new();
        public ConcurrentQueue<string> Finished { get; } = new();
        public int MaxRunning;
        public Func<string, Exception?> Fail { get; init; } = _ => null;
        public ConcurrentDictionary<string, IReadOnlyCollection<string>> InputsSeen { get; } = new();

        public TaskCompletionSource Gate(string name) => _gates.GetOrAdd(name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

        public async Task<StageResult> ExecuteAsync(StageJob job, CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref _running);
            InterlockedMax(ref MaxRunning, now);
            Started.Enqueue(job.Node.Name);
            InputsSeen[job.Node.Name] = job.Inputs.Keys.ToList();
            try
            {
                if (Fail(job.Node.Name) is { } error) throw error;
                await Gate(job.Node.Name).Task.WaitAsync(cancellationToken);
                Finished.Enqueue(job.Node.Name);
                return new StageResult(job.Node.Name) { ManifestDigest = "sha256:" + job.Node.Name };
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }

        private static void InterlockedMax(ref int target, int value)
        {
            int seen;
            while ((seen = target) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
        }
    }

    private static BuildGraph Diamond()
    {
        var book = new RecipeBook("/tmp/diamond");
        var left = book.Stage("left").From("busybox");
        var right = book.Stage("right").From("busybox");
        book.Image("final").From("busybox").CopyFrom(left, "/l", "/l").CopyFrom(right, "/r", "/r").Output("out/final");
        return GraphBuilder.Build(book.Build(), []);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition()) await Task.Delay(5, timeout.Token);
    }

    [Fact]
    public async Task Independent_nodes_run_at_the_same_time()
    {
        var executor = new GatedExecutor();
        var run = new GraphScheduler(executor, maxParallel: 4).RunAsync(Diamond(), CancellationToken.None);

        await WaitUntil(() => executor.Started.Count == 2);
        Assert.Equal(["left", "right"], executor.Started.Order());
        Assert.Empty(executor.Finished);

        executor.Gate("left").SetResult();
        executor.Gate("right").SetResult();
        await WaitUntil(() => executor.Started.Count == 3);
        executor.Gate("final").SetResult();
        var results = await run;

        Assert.Equal(2, executor.MaxRunning);
        Assert.Equal("final", executor.Finished.Last());
        Assert.Equal(["left", "right"], executor.InputsSeen["final"].Order());
        Assert.Equal("sha256:final", results["final"].ManifestDigest);
    }

    [Fact]
    public async Task Jobs_bounds_the_parallelism()
    {
        var executor = new GatedExecutor();
        var run = new GraphScheduler(executor, maxParallel: 1).RunAsync(Diamond(), CancellationToken.None);
        await WaitUntil(() => executor.Started.Count == 1);
        var first = executor.Started.Single();
        executor.Gate(first).SetResult();
        await WaitUntil(() => executor.Started.Count == 2);
        executor.Gate(executor.Started.Last()).SetResult();
        await WaitUntil(() => executor.Started.Count == 3);
        executor.Gate("final").SetResult();
        await run;
        Assert.Equal(1, executor.MaxRunning);
    }

    [Fact]
    public async Task A_dependent_never_starts_before_its_dependencies_finish()
    {
        var executor = new GatedExecutor();
        var run = new GraphScheduler(executor, maxParallel: 4).RunAsync(Diamond(), CancellationToken.None);
        await WaitUntil(() => executor.Started.Count == 2);
        executor.Gate("left").SetResult();
        await WaitUntil(() => executor.Finished.Count == 1);
        Assert.DoesNotContain("final", executor.Started);
        executor.Gate("right").SetResult();
        await WaitUntil(() => executor.Started.Contains("final"));
        executor.Gate("final").SetResult();
        await run;
    }

    [Fact]
    public async Task A_failure_cancels_running_nodes_and_skips_the_rest()
    {
        var executor = new GatedExecutor { Fail = name => name == "right" ? new OrchestratorException("RUN exited with 2") : null };
        var skipped = new List<string>();
        var observer = new RecordingObserver(skipped);
        var error = await Assert.ThrowsAsync<BuildFailedException>(() => new GraphScheduler(executor, 4, observer).RunAsync(Diamond(), CancellationToken.None));
        Assert.Equal(["right"], error.Failures.Keys);
        Assert.Contains("right: RUN exited with 2", error.Message);
        Assert.DoesNotContain("final", executor.Started);
        Assert.Equal(["final"], skipped);
        Assert.DoesNotContain("left", executor.Finished);
    }

    [Fact]
    public async Task Cancellation_stops_the_build()
    {
        var executor = new GatedExecutor();
        using var cancel = new CancellationTokenSource();
        var run = new GraphScheduler(executor, 4).RunAsync(Diamond(), cancel.Token);
        await WaitUntil(() => executor.Started.Count == 2);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.DoesNotContain("final", executor.Started);
    }

    [Fact]
    public void Jobs_below_one_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new GraphScheduler(new GatedExecutor(), 0));
    }

    private sealed class RecordingObserver(List<string> skipped) : IBuildObserver
    {
        public void OnNodeSkipped(string node, string reason) => skipped.Add(node);
    }
}
