using Orchestrator.Planning;

namespace Orchestrator.Hosting;

/// <summary>One line per event, prefixed with the node name: for logs and CI (the CLI's plain progress, Cake's log, Nuke's output).</summary>
public sealed class PlainBuildObserver : IBuildObserver
{
    private readonly object _gate = new();
    private readonly Action<string> _writeLine;
    private readonly bool _verbose;

    /// <param name="writeLine">Receives each line, without a line break; calls are serialised.</param>
    /// <param name="verbose">Also report nodes that are skipped, and why.</param>
    public PlainBuildObserver(Action<string> writeLine, bool verbose = false)
    {
        ArgumentNullException.ThrowIfNull(writeLine);
        _writeLine = writeLine;
        _verbose = verbose;
    }

    public PlainBuildObserver(TextWriter output, bool verbose = false)
        : this(output.WriteLine, verbose)
    {
    }

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
        if (_verbose) Write(node, "skipped: " + reason);
    }

    public void OnWarning(string message) => WriteLine("warning: " + message);

    public void OnNote(string message) => WriteLine(message);

    private void Write(string node, string message) => WriteLine($"[{node}] {message}");

    private void WriteLine(string line)
    {
        lock (_gate) _writeLine(line);
    }
}
