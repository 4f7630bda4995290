namespace Orchestrator.Recipes;

/// <summary>Everything a build script declared: stages in declaration order, targets, and resolved build args.</summary>
public sealed record RecipeSet(EquatableArray<StageRecipe> Stages, EquatableArray<TargetGroup> Targets)
{
    /// <summary>Build arguments as resolved for this run (name → value). Values may be secret-free only by convention; never logged.</summary>
    public IReadOnlyDictionary<string, string> Args { get; init; } = new Dictionary<string, string>();

    public StageRecipe? Find(string name) => Stages.FirstOrDefault(s => s.Name == name);

    public StageRecipe Get(string name) => Find(name) ?? throw new OrchestratorException($"unknown stage '{name}'");

    public IEnumerable<StageRecipe> Images => Stages.Where(s => s.IsImage);
}
