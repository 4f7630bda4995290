using Orchestrator.Dockerfiles;
using Orchestrator.Oci.Documents;
using Orchestrator.Recipes;

namespace Orchestrator.Execution;

/// <summary>
/// The ONBUILD triggers of a stage's base (an earlier stage, a registry image, an OCI layout), read from its config when
/// the stage starts and compiled with the Dockerfile parser as instructions of the child stage: they run right after
/// FROM, in order, with the child's context, expanded with the base's ENV, and they are steps of the child like any
/// other (their keys chain into the child's). As in BuildKit, they are not passed on: the child's config starts with
/// no triggers, and only the child's own ONBUILD instructions add some.
/// </summary>
public static class OnbuildTriggers
{
    /// <summary>The child stage with its base's triggers put first, and the base config without triggers.</summary>
    public static (StageRecipe Stage, ImageConfig BaseConfig) Apply(StageRecipe stage, ImageConfig baseConfig)
    {
        var triggers = baseConfig.Config?.OnBuild ?? [];
        if (triggers.Count == 0) return (stage, baseConfig);
        var cleared = baseConfig with { Config = baseConfig.Config! with { OnBuild = null } };
        return (stage with { Instructions = Compile(stage, triggers, baseConfig.Config!.Env ?? []).AddRange(stage.Instructions) }, cleared);
    }

    /// <summary>Each trigger as the instructions it is, located at the child's FROM line.</summary>
    public static EquatableArray<Instruction> Compile(StageRecipe stage, IReadOnlyList<string> triggers, IReadOnlyList<string> baseEnv)
    {
        var at = stage.BaseLocation ?? stage.Location;
        var where = (at.IsKnown ? at + ": " : "") + $"{stage.Kind} '{stage.Name}': base {stage.Base}";
        foreach (var trigger in triggers)
        {
            var keyword = trigger.TrimStart().Split([' ', '\t'], 2)[0].ToUpperInvariant();
            if (keyword is "" or "ONBUILD" or "FROM" or "MAINTAINER")
                throw new OrchestratorException($"{where}: its ONBUILD trigger '{trigger}' is not allowed ({(keyword.Length == 0 ? "it is empty" : $"ONBUILD cannot trigger {keyword}")}); rebuild the base without it");
        }
        var env = ConfigInstructions.ToDictionary(baseEnv);
        var text = "FROM onbuild-base\n" + string.Join('\n', triggers) + "\n";
        DockerfileDocument document;
        try
        {
            document = DockerfileParser.Parse(text, $"ONBUILD of {stage.Base}", new DockerfileParserOptions { BaseImageEnvironment = _ => env });
        }
        catch (OrchestratorException error)
        {
            throw new OrchestratorException($"{where}: its ONBUILD triggers cannot be read: {error.Message}", error);
        }
        var location = at.IsKnown ? at with { Member = "FROM", Column = 0 } : SourceLocation.Unknown;
        return document.Stages[0].Instructions.Select(i => i with { Location = location }).ToEquatableArray();
    }
}
