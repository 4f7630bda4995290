using Orchestrator.Planning;

namespace Orchestrator.Cli.Progress;

/// <summary>One line per event, prefixed with the node name: for logs and CI.</summary>
internal sealed class PlainBuildObserver(TextWriter output, bool verbose) : IBuildObserver
{
    private readonly object _gate = new();

    public void OnNodeStarted(string node) => Write(node, "started");

    public void OnStepStarted(string node, int index, int count, string description) => Write(node, $"step {index}/{count}: {description}");

    public void OnStepCached(string node, int index, int count, string description) => Write(node, $"step {index}/{count}: CACHED {description}");

    public void OnNodeOutput(string node, string line) => Write(node, line);

    public void OnNodeCompleted(string node, StageResult result, TimeSpan elapsed)
    {
        var how = result.FromCache ? $"cached ({result.CachedSteps} steps) in {elapsed.TotalSeconds:0.0}s" : $"done in {elapsed.TotalSeconds:0.0}s" + (result.CachedSteps > 0 ? $" · {result.CachedSteps} steps cached" : "");
        Write(node, result.ManifestDigest is null ? how : $"{how} · {result.ManifestDigest}");
    }

    public void OnNodeFailed(string node, Exception error, TimeSpan elapsed) => Write(node, $"FAILED after {elapsed.TotalSeconds:0.0}s");

    public void OnNodeSkipped(string node, string reason)
    {
        if (verbose) Write(node, "skipped: " + reason);
    }

    public void OnWarning(string message)
    {
        lock (_gate) output.WriteLine("warning: " + message);
    }

    public void OnNote(string message)
    {
        lock (_gate) output.WriteLine(message);
    }

    private void Write(string node, string message)
    {
        lock (_gate) output.WriteLine($"[{node}] {message}");
    }
}
