using System.Text.Json.Nodes;
using Orchestrator.Planning;

namespace Orchestrator.Cli.Progress;

/// <summary>One JSON object per line and event (<c>--progress json</c>), for tools that follow a build.</summary>
internal sealed class JsonBuildObserver(TextWriter output) : IBuildObserver
{
    private readonly object _gate = new();

    public void OnNodeStarted(string node) => Write(new JsonObject { ["event"] = "started", ["node"] = node });

    public void OnStepStarted(string node, int index, int count, string description) => Write(new JsonObject { ["event"] = "step", ["node"] = node, ["index"] = index, ["count"] = count, ["description"] = description });

    public void OnStepCached(string node, int index, int count, string description) => Write(new JsonObject { ["event"] = "step", ["node"] = node, ["index"] = index, ["count"] = count, ["description"] = description, ["cached"] = true });

    public void OnNodeOutput(string node, string line) => Write(new JsonObject { ["event"] = "output", ["node"] = node, ["line"] = line });

    public void OnNodeCompleted(string node, StageResult result, TimeSpan elapsed) =>
        Write(new JsonObject
        {
            ["event"] = "completed", ["node"] = node, ["digest"] = result.ManifestDigest, ["cached"] = result.FromCache, ["cachedSteps"] = result.CachedSteps,
            ["published"] = new JsonArray([.. result.Published.Select(p => (JsonNode?)p)]), ["seconds"] = Math.Round(elapsed.TotalSeconds, 3),
        });

    public void OnNodeFailed(string node, Exception error, TimeSpan elapsed) =>
        Write(new JsonObject { ["event"] = "failed", ["node"] = node, ["error"] = error.Message, ["seconds"] = Math.Round(elapsed.TotalSeconds, 3) });

    public void OnNodeSkipped(string node, string reason) => Write(new JsonObject { ["event"] = "skipped", ["node"] = node, ["reason"] = reason });

    public void OnWarning(string message) => Write(new JsonObject { ["event"] = "warning", ["message"] = message });

    public void OnNote(string message) => Write(new JsonObject { ["event"] = "note", ["message"] = message });

    private void Write(JsonObject value)
    {
        var line = value.ToJsonString();
        lock (_gate) output.WriteLine(line);
    }
}
