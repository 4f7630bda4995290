using Orchestrator.Planning;
using Orchestrator.Recipes;

namespace Orchestrator.Kubernetes;

/// <summary>A node built by a Job: its image by digest, which dependents name in their FROM / COPY --from.</summary>
public sealed record KubernetesStageResult(string Stage, string ImageReference, string JobName) : StageResult(Stage)
{
    /// <summary>The stage's ARG values at its end, which a stage built FROM it starts with (as on the local backend).</summary>
    public EquatableArray<ArgInstruction> Args { get; init; } = [];

    /// <summary>
    /// The ARG values <paramref name="stage"/> ends with: those it starts with (its base stage's, when built FROM one) with
    /// its own ARG values over them — what the local builder carries from a stage to the stage built FROM it.
    /// </summary>
    public static EquatableArray<ArgInstruction> ArgsAtEnd(StageRecipe stage, IReadOnlyDictionary<string, StageResult> inputs)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (stage.Base is ImageSource.Stage from && inputs.TryGetValue(from.Name, out var parent) && parent is KubernetesStageResult built)
            foreach (var arg in built.Args) values[arg.Name] = arg.Value!;
        foreach (var arg in stage.Instructions.OfType<ArgInstruction>())
            if (arg.Value is not null) values[arg.Name] = arg.Value;
        return values.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => new ArgInstruction(v.Key, v.Value)).ToEquatableArray();
    }
}
