using Orchestrator.Planning;

namespace Orchestrator.Hosting;

/// <summary>The build graph and what the cache says of each of its steps, before anything runs.</summary>
public sealed record BuildPlan(BuildGraph Graph, CachePlan Cache)
{
    /// <summary>The plan as <c>dotnet orchestrate --plan</c> prints it.</summary>
    public string Render(PlanFormat format = PlanFormat.Text) =>
        PlanRenderer.Render(Graph, format, format is PlanFormat.Text or PlanFormat.Json ? Cache : null);

    public override string ToString() => Render();
}
