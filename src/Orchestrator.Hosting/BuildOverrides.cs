using Orchestrator.Planning;
using Orchestrator.Recipes;

namespace Orchestrator.Hosting;

/// <summary>Command-line settings that override what the recipes say (<c>--cache-repo</c>, <c>--output</c>).</summary>
internal static class BuildOverrides
{
    public static RecipeSet Apply(RecipeSet recipes, BuildSettings settings) =>
        settings.CacheRepo is null
            ? recipes
            : recipes with { Stages = recipes.Stages.Select(s => s with { CacheRepo = settings.CacheRepo }).ToEquatableArray() };

    /// <summary>
    /// <c>--output PATH</c> adds a local output to every requested image: PATH itself for one image,
    /// <c>PATH/NAME</c> (an OCI layout each) for several.
    /// </summary>
    public static BuildGraph ApplyOutput(BuildGraph graph, string? output)
    {
        if (output is null) return graph;
        var images = graph.Nodes.Where(n => n.IsRequested && n.Stage.IsImage).ToList();
        var path = Path.GetFullPath(output);
        if (images.Count > 1 && path.EndsWith(".tar", StringComparison.OrdinalIgnoreCase))
            throw new OrchestratorException($"--output {output} names one archive but {images.Count} images are built ({string.Join(", ", images.Select(i => i.Name))}); give a folder, or build one target");
        var nodes = graph.Nodes.Select(n => images.Contains(n)
            ? n with { Stage = n.Stage with { Outputs = n.Stage.Outputs.Add(images.Count == 1 ? path : Path.Combine(path, n.Name.Replace('/', '-'))) } }
            : n);
        return graph with { Nodes = nodes.ToEquatableArray() };
    }
}
