namespace Orchestrator.Planning;

/// <summary>Receives progress from the scheduler and executors; front ends render it (live, plain or JSON).</summary>
public interface IBuildObserver
{
    void OnNodeStarted(string node) { }

    /// <summary>A step within the node began (1-based index of <paramref name="count"/>).</summary>
    void OnStepStarted(string node, int index, int count, string description) { }

    /// <summary>A step within the node was found in the cache and does not run (1-based index of <paramref name="count"/>).</summary>
    void OnStepCached(string node, int index, int count, string description) { }

    void OnNodeOutput(string node, string line) { }

    void OnNodeCompleted(string node, StageResult result, TimeSpan elapsed) { }

    void OnNodeFailed(string node, Exception error, TimeSpan elapsed) { }

    /// <summary>The node will not run because a dependency failed or the build was cancelled.</summary>
    void OnNodeSkipped(string node, string reason) { }

    /// <summary>Something went wrong that does not fail the build (a cache repo that cannot be reached, an entry not pushed).</summary>
    void OnWarning(string message) { }

    /// <summary>A fact about the whole build worth one line (how many cache entries were pushed).</summary>
    void OnNote(string message) { }
}

/// <summary>An observer that ignores everything.</summary>
public sealed class NullBuildObserver : IBuildObserver
{
    public static NullBuildObserver Instance { get; } = new();
}
