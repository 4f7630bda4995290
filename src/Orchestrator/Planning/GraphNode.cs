using Orchestrator.Recipes;

namespace Orchestrator.Planning;

/// <summary>One stage to build, with the names of the nodes it waits for.</summary>
public sealed record GraphNode(StageRecipe Stage, EquatableArray<string> Dependencies)
{
    public string Name => Stage.Name;

    /// <summary>True when the user asked for this node (an image or a named target), not only needed by one.</summary>
    public bool IsRequested { get; init; }
}
