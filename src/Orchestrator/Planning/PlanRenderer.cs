using System.Text;
using System.Text.Json;
using Orchestrator.Recipes;

namespace Orchestrator.Planning;

/// <summary>
/// Prints a <see cref="BuildGraph"/> for people (text) and machines (JSON, Graphviz DOT, Mermaid); text and JSON show
/// each step's cache status when a <see cref="CachePlan"/> is given (what hits, what runs and why).
/// </summary>
public static class PlanRenderer
{
    public static string Render(BuildGraph graph, PlanFormat format, CachePlan? cache = null) => format switch
    {
        PlanFormat.Text => Text(graph, cache),
        PlanFormat.Json => Json(graph, cache),
        PlanFormat.Dot => Dot(graph),
        PlanFormat.Mermaid => Mermaid(graph),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    public static string Text(BuildGraph graph, CachePlan? cache = null)
    {
        var text = new StringBuilder();
        var images = graph.Nodes.Count(n => n.Stage.IsImage);
        var cacheRepos = graph.Nodes.Select(n => n.Stage.CacheRepo).Where(r => r is not null).Distinct().ToList();
        text.Append($"plan: {Count(graph.Nodes.Count, "node")} · {Count(images, "image")} · ");
        text.AppendLine(cacheRepos.Count switch
        {
            0 => "no cache repo",
            1 => "cache repo " + cacheRepos[0],
            _ => Count(cacheRepos.Count, "cache repo"),
        });

        var width = graph.Nodes.Select(n => n.Name.Length).DefaultIfEmpty(4).Max();
        foreach (var node in graph.Nodes)
        {
            var stage = node.Stage;
            var status = cache?.For(node.Name);
            text.Append(status is { AllCached: true } ? "  ✓ " : "  ● ").Append(node.Name.PadRight(width)).Append("  ").Append(stage.Kind.PadRight(5));
            var places = stage.Destinations.Concat(stage.Outputs.Select(DisplayPath)).ToList();
            if (places.Count > 0) text.Append(" → ").Append(string.Join(", ", places));
            text.Append("  ").Append(status switch
            {
                null => Count(stage.Instructions.Count + 1, "step") + ", all to run",
                { AllCached: true } => Count(status.Steps.Count, "step") + ", all cached: not run",
                _ => $"{Count(status.Steps.Count, "step")}: {status.Hits} cached, {status.ToRun} to run",
            });
            if (node.Dependencies.Count > 0) text.Append(" · needs ").Append(string.Join(", ", node.Dependencies));
            text.AppendLine();

            text.Append(status is { AllCached: true } ? "        ✓ FROM " : "        ● FROM ").AppendLine(BaseText(stage.Base));
            // The first step that runs (or waits) says why; the ones after it follow from it (the JSON plan has every reason).
            var explained = false;
            for (var i = 0; i < stage.Instructions.Count; i++)
            {
                var instruction = stage.Instructions[i];
                var step = status?.Steps[i];
                var mark = step?.Status switch { StepCacheStatus.Cached => "✓", StepCacheStatus.Pending => "?", _ => "●" };
                text.Append(($"        {mark} " + Shorten(InstructionText.OneLine(instruction), 72)).PadRight(84));
                if (step is { Reason: { } reason } && !explained)
                {
                    text.Append(Where(instruction.Location).PadRight(31)).Append(' ').Append(step.Status == StepCacheStatus.Pending ? "pending: " : "runs: ").AppendLine(reason);
                    explained = true;
                }
                else
                {
                    text.AppendLine(Where(instruction.Location));
                }
            }
        }
        if (cache?.Note is { } note) text.AppendLine("note: " + note);
        return text.ToString();
    }

    public static string Json(BuildGraph graph, CachePlan? cache = null)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartArray("targets");
            foreach (var target in graph.Targets) json.WriteStringValue(target);
            json.WriteEndArray();
            json.WriteStartArray("nodes");
            foreach (var node in graph.Nodes) WriteNode(json, node, cache?.For(node.Name));
            json.WriteEndArray();
            json.WriteStartArray("edges");
            foreach (var edge in graph.Edges)
            {
                json.WriteStartObject();
                json.WriteString("from", edge.From);
                json.WriteString("to", edge.To);
                json.WriteString("kind", edge.Kind.ToString().ToLowerInvariant());
                json.WriteEndObject();
            }
            json.WriteEndArray();
            WriteOptional(json, "cacheNote", cache?.Note);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + Environment.NewLine;
    }

    private static void WriteNode(Utf8JsonWriter json, GraphNode node, NodeCachePlan? status)
    {
        var stage = node.Stage;
        json.WriteStartObject();
        json.WriteString("name", node.Name);
        json.WriteString("kind", stage.Kind);
        json.WriteBoolean("requested", node.IsRequested);
        json.WriteStartObject("base");
        json.WriteString("type", stage.Base switch { ImageSource.Registry => "image", ImageSource.Layout => "layout", ImageSource.Stage => "stage", _ => "scratch" });
        if (stage.Base is not ImageSource.Scratch) json.WriteString("name", stage.Base.ToString());
        if (stage.Base is ImageSource.Layout layout)
        {
            json.WriteString("path", layout.Path);
            WriteOptional(json, "tag", layout.Tag);
        }
        json.WriteEndObject();
        WriteOptional(json, "platform", stage.Platform);
        WriteOptional(json, "context", stage.Context);
        WriteOptional(json, "cacheRepo", stage.CacheRepo);
        WriteStrings(json, "destinations", stage.Destinations);
        WriteStrings(json, "outputs", stage.Outputs);
        WriteStrings(json, "dependsOn", node.Dependencies);
        if (status is not null)
        {
            json.WriteStartObject("cache");
            json.WriteNumber("cached", status.Hits);
            json.WriteNumber("toRun", status.ToRun);
            json.WriteBoolean("allCached", status.AllCached);
            json.WriteEndObject();
        }
        json.WriteStartArray("steps");
        for (var i = 0; i < stage.Instructions.Count; i++)
        {
            var instruction = stage.Instructions[i];
            var step = status?.Steps[i];
            json.WriteStartObject();
            json.WriteString("instruction", instruction.Keyword);
            json.WriteString("text", InstructionText.OneLine(instruction));
            if (instruction.Location.IsKnown)
            {
                json.WriteString("file", instruction.Location.DisplayFile);
                json.WriteNumber("line", instruction.Location.Line);
            }
            if (instruction.Location.Caller is { IsKnown: true } caller)
            {
                // A step a loaded recipe file declares: the root script's call that led to it.
                json.WriteStartObject("calledFrom");
                json.WriteString("file", caller.DisplayFile);
                json.WriteNumber("line", caller.Line);
                json.WriteEndObject();
            }
            json.WriteString("status", step?.Status switch { StepCacheStatus.Cached => "cached", StepCacheStatus.Pending => "pending", _ => "run" });
            WriteOptional(json, "cacheKey", step?.Key);
            WriteOptional(json, "reason", step?.Reason);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    public static string Dot(BuildGraph graph)
    {
        var dot = new StringBuilder("digraph build {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n");
        foreach (var node in graph.Nodes)
            dot.Append($"  {Quote(node.Name)} [label={Quote(node.Name + "\\n" + node.Stage.Kind)}{(node.Stage.IsImage ? ", style=bold" : "")}];\n");
        foreach (var edge in graph.Edges)
            dot.Append($"  {Quote(edge.From)} -> {Quote(edge.To)} [label={Quote(edge.Kind.ToString().ToLowerInvariant())}];\n");
        return dot.Append("}\n").ToString();

        static string Quote(string value) => "\"" + value.Replace("\"", "\\\"") + "\"";
    }

    public static string Mermaid(BuildGraph graph)
    {
        var ids = graph.Nodes.Select((n, i) => (n.Name, Id: "n" + i)).ToDictionary(x => x.Name, x => x.Id);
        var mermaid = new StringBuilder("graph LR\n");
        foreach (var node in graph.Nodes)
        {
            var label = $"{node.Name} ({node.Stage.Kind})".Replace("\"", "#quot;");
            mermaid.Append(node.Stage.IsImage ? $"  {ids[node.Name]}[[\"{label}\"]]\n" : $"  {ids[node.Name]}[\"{label}\"]\n");
        }
        foreach (var edge in graph.Edges)
            mermaid.Append($"  {ids[edge.From]} -->|{edge.Kind.ToString().ToLowerInvariant()}| {ids[edge.To]}\n");
        return mermaid.ToString();
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null) json.WriteString(name, value);
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values) json.WriteStringValue(value);
        json.WriteEndArray();
    }

    private static string Where(SourceLocation location) =>
        location.IsKnown ? $"{location.DisplayFile}:{location.Line}" : "";

    // A layout base is shown like an output: relative to where the user runs the command when it is below it.
    private static string BaseText(ImageSource source) => source is ImageSource.Layout layout
        ? ImageSource.Layout.Prefix + Relative(layout.Path) + (layout.Tag is null ? "" : ":" + layout.Tag)
        : source.ToString();

    private static string Relative(string path)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
    }

    private static string DisplayPath(string path)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        var shown = relative.StartsWith("..", StringComparison.Ordinal) ? path : relative;
        return shown + (path.EndsWith(".tar", StringComparison.OrdinalIgnoreCase) ? " (docker-archive)" : " (OCI layout)");
    }

    private static string Shorten(string text, int max)
    {
        text = text.ReplaceLineEndings(" ");
        return text.Length <= max ? text : text[..(max - 1)] + "…";
    }

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";
}
