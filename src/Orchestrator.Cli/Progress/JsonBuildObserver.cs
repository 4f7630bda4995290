using System.Text.Json;
using Orchestrator.Planning;

namespace Orchestrator.Cli.Progress;

/// <summary>One JSON object per line and event (<c>--progress json</c>), for tools that follow a build.</summary>
internal sealed class JsonBuildObserver(TextWriter output) : IBuildObserver
{
    private readonly object _gate = new();

    public void OnNodeStarted(string node) => Write(new { @event = "started", node });

    public void OnStepStarted(string node, int index, int count, string description) => Write(new { @event = "step", node, index, count, description });

    public void OnStepCached(string node, int index, int count, string description) => Write(new { @event = "step", node, index, count, description, cached = true });

    public void OnNodeOutput(string node, string line) => Write(new { @event = "output", node, line });

    public void OnNodeCompleted(string node, StageResult result, TimeSpan elapsed) =>
        Write(new { @event = "completed", node, digest = result.ManifestDigest, cached = result.FromCache, cachedSteps = result.CachedSteps, published = result.Published, seconds = Math.Round(elapsed.TotalSeconds, 3) });

    public void OnNodeFailed(string node, Exception error, TimeSpan elapsed) =>
        Write(new { @event = "failed", node, error = error.Message, seconds = Math.Round(elapsed.TotalSeconds, 3) });

    public void OnNodeSkipped(string node, string reason) => Write(new { @event = "skipped", node, reason });

    public void OnWarning(string message) => Write(new { @event = "warning", message });

    public void OnNote(string message) => Write(new { @event = "note", message });

    private void Write(object value)
    {
        var line = JsonSerializer.Serialize(value);
        lock (_gate) output.WriteLine(line);
    }
}
