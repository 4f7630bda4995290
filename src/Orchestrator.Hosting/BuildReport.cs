namespace Orchestrator.Hosting;

/// <summary>What a build produced: one entry per requested node, and how much the cache saved.</summary>
/// <param name="Images">The requested nodes (every image, or the targets' recipes), in graph order.</param>
/// <param name="Steps">Steps of every node in the graph.</param>
/// <param name="CachedSteps">Of those, how many were taken from the cache.</param>
/// <param name="Nodes">Nodes in the graph.</param>
/// <param name="NodesNotRun">Of those, how many were not executed because their result was in the cache.</param>
public sealed record BuildReport(IReadOnlyList<BuiltImage> Images, int Steps, int CachedSteps, int Nodes, int NodesNotRun)
{
    /// <summary>The image built for node <paramref name="name"/>.</summary>
    public BuiltImage this[string name] =>
        Images.FirstOrDefault(i => i.Name == name)
        ?? throw new KeyNotFoundException($"no image '{name}' was built; built: {string.Join(", ", Images.Select(i => i.Name))}");
}

/// <summary>One built node.</summary>
/// <param name="Name">The recipe's name (<c>Image("api")</c> → <c>api</c>).</param>
/// <param name="Digest">Digest of its image manifest (<c>sha256:…</c>); null for a stage that has none.</param>
/// <param name="Published">Where it went: pushed references with digest, and written outputs (<c>PATH@sha256:…</c>).</param>
/// <param name="Destinations">The references the recipe names as destinations (pushed unless the build was told not to).</param>
public sealed record BuiltImage(string Name, string? Digest, IReadOnlyList<string> Published, IReadOnlyList<string> Destinations);
