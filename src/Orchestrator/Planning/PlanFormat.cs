namespace Orchestrator.Planning;

/// <summary>How <c>--plan</c> prints the graph.</summary>
public enum PlanFormat
{
    Text,
    Json,
    Dot,
    Mermaid,
}
