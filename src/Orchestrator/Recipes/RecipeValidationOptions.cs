namespace Orchestrator.Recipes;

/// <summary>What the run intends, which changes what counts as an error.</summary>
public sealed record RecipeValidationOptions
{
    public static RecipeValidationOptions Default { get; } = new();

    /// <summary>When true (no <c>--no-push</c>), every image needs a destination or a local output.</summary>
    public bool Push { get; init; } = true;
}
