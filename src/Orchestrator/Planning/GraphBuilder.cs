using Orchestrator.Recipes;

namespace Orchestrator.Planning;

/// <summary>Recipes + requested targets → <see cref="BuildGraph"/>.</summary>
public static class GraphBuilder
{
    /// <param name="targets">Target group names or stage names; empty means every image.</param>
    public static BuildGraph Build(RecipeSet recipes, IReadOnlyList<string> targets)
    {
        var requested = ResolveTargets(recipes, targets);

        var needed = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(requested);
        while (pending.TryPop(out var name))
        {
            if (!needed.Add(name)) continue;
            foreach (var dependency in recipes.Get(name).StageDependencies()) pending.Push(dependency);
        }

        var edges = new List<GraphEdge>();
        foreach (var stage in recipes.Stages.Where(s => needed.Contains(s.Name)))
            edges.AddRange(EdgesOf(stage));

        var order = TopologicalOrder(recipes.Stages.Where(s => needed.Contains(s.Name)).ToList());
        var nodes = order.Select(stage => new GraphNode(stage, stage.StageDependencies().Distinct().ToEquatableArray())
        {
            IsRequested = requested.Contains(stage.Name),
        });
        return new BuildGraph(nodes.ToEquatableArray(), edges.Distinct().ToEquatableArray(), requested.ToEquatableArray());
    }

    private static IEnumerable<GraphEdge> EdgesOf(StageRecipe stage)
    {
        if (stage.Base is ImageSource.Stage b) yield return new GraphEdge(b.Name, stage.Name, EdgeKind.Base);
        foreach (var instruction in stage.Instructions)
            foreach (var from in instruction.ReadsFrom.OfType<ImageSource.Stage>())
                yield return new GraphEdge(from.Name, stage.Name, EdgeKind.Copy);
        foreach (var dependency in stage.DependsOn) yield return new GraphEdge(dependency, stage.Name, EdgeKind.Order);
    }

    private static List<string> ResolveTargets(RecipeSet recipes, IReadOnlyList<string> targets)
    {
        if (targets.Count == 0)
        {
            var images = recipes.Images.Select(i => i.Name).ToList();
            if (images.Count == 0)
                throw new OrchestratorException(recipes.Stages.Count == 0
                    ? "the script declares no recipes: add Image(\"name\").From(\"base\")…"
                    : "the script declares no Image(...), so nothing is built by default; name a stage to build, e.g. `dotnet orchestrate build.csx " + recipes.Stages[0].Name + "`");
            return images;
        }

        var result = new List<string>();
        foreach (var target in targets)
        {
            if (recipes.Targets.FirstOrDefault(t => t.Name == target) is { } group)
                result.AddRange(group.Stages);
            else if (recipes.Find(target) is not null)
                result.Add(target);
            else
                throw new OrchestratorException($"unknown target '{target}'; known targets: {string.Join(", ", KnownTargets(recipes))}");
        }
        return result.Distinct().ToList();
    }

    private static IEnumerable<string> KnownTargets(RecipeSet recipes) =>
        recipes.Targets.Select(t => t.Name).Concat(recipes.Stages.Select(s => s.Name)).DefaultIfEmpty("(none)");

    /// <summary>Kahn's algorithm, taking ready nodes in declaration order so plans are stable.</summary>
    private static List<StageRecipe> TopologicalOrder(List<StageRecipe> stages)
    {
        var remaining = stages.ToDictionary(s => s.Name, s => s.StageDependencies().Distinct().Count(d => stages.Any(x => x.Name == d)));
        var done = new List<StageRecipe>();
        while (done.Count < stages.Count)
        {
            var ready = stages.FirstOrDefault(s => remaining[s.Name] == 0 && !done.Contains(s))
                ?? throw new OrchestratorException("the stages form a cycle: " + string.Join(", ", stages.Where(s => !done.Contains(s)).Select(s => s.Name)));
            done.Add(ready);
            remaining[ready.Name] = -1;
            foreach (var stage in stages.Where(s => remaining[s.Name] > 0))
                if (stage.StageDependencies().Distinct().Contains(ready.Name))
                    remaining[stage.Name]--;
        }
        return done;
    }
}
