namespace Orchestrator.Planning;

/// <summary>
/// Builds one stage node. Implementations: the local userspace builder and the Kubernetes dispatcher.
/// The scheduler calls it only after every dependency of the node has a result.
/// </summary>
public interface IStageExecutor
{
    Task<StageResult> ExecuteAsync(StageJob job, CancellationToken cancellationToken);

    /// <summary>
    /// Called once every node has finished (built or failed): waits for work the executor keeps off the nodes' critical
    /// path (cache pushes) and reports what went wrong there as warnings, never as a failed build.
    /// </summary>
    Task CompleteAsync(IBuildObserver observer, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>One node to build, with the results of the nodes it depends on (by stage name).</summary>
public sealed record StageJob(GraphNode Node, IReadOnlyDictionary<string, StageResult> Inputs, IBuildObserver Observer)
{
    /// <summary>Writes one line of the node's output (a RUN step's stdout, a pull message) to the observer.</summary>
    public void Log(string line) => Observer.OnNodeOutput(Node.Name, line);
}

/// <summary>What a built node hands to its dependents and to the user. Executors may derive richer records.</summary>
public record StageResult(string StageName)
{
    /// <summary>Digest of the stage's image manifest, when it has one.</summary>
    public string? ManifestDigest { get; init; }

    /// <summary>True when the node was not executed because its result was found in the cache.</summary>
    public bool FromCache { get; init; }

    /// <summary>How many of the node's steps were taken from the cache instead of running.</summary>
    public int CachedSteps { get; init; }

    /// <summary>Where the image went: pushed references (with digest) and written outputs.</summary>
    public IReadOnlyList<string> Published { get; init; } = [];
}
