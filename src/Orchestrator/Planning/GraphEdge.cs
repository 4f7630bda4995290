namespace Orchestrator.Planning;

/// <summary><paramref name="From"/> must be built before <paramref name="To"/>.</summary>
public sealed record GraphEdge(string From, string To, EdgeKind Kind);
