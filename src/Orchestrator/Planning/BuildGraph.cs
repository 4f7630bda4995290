using Orchestrator.Recipes;

namespace Orchestrator.Planning;

/// <summary>
/// The stages one run builds, as a DAG in a topological order (dependencies first; among
/// independent nodes, declaration order). Stages the requested targets do not need are pruned;
/// a stage shared by several images appears once.
/// </summary>
public sealed record BuildGraph(EquatableArray<GraphNode> Nodes, EquatableArray<GraphEdge> Edges, EquatableArray<string> Targets)
{
    public GraphNode this[string name] => Nodes.FirstOrDefault(n => n.Name == name) ?? throw new KeyNotFoundException($"no node '{name}' in the graph");

    public bool Contains(string name) => Nodes.Any(n => n.Name == name);

    /// <summary>Nodes that wait for <paramref name="name"/>.</summary>
    public IEnumerable<GraphNode> Dependents(string name) => Nodes.Where(n => n.Dependencies.Contains(name));

    /// <summary>True when <paramref name="to"/> (transitively) depends on <paramref name="from"/>.</summary>
    public bool HasPath(string from, string to)
    {
        var pending = new Stack<string>([to]);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (pending.TryPop(out var current))
        {
            if (!seen.Add(current)) continue;
            foreach (var dependency in this[current].Dependencies)
            {
                if (dependency == from) return true;
                pending.Push(dependency);
            }
        }
        return false;
    }
}
