namespace Orchestrator.Recipes;

/// <summary>A named group of recipes built together: <c>Target("default", api, web)</c>.</summary>
public sealed record TargetGroup(string Name, EquatableArray<string> Stages, SourceLocation Location);
