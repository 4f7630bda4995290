using Orchestrator.Recipes;

namespace Orchestrator.Dockerfiles;

/// <summary>
/// A parsed Dockerfile: its stages in order (named by <c>AS name</c>, or by index "0", "1", … when unnamed)
/// and the ARGs declared before the first FROM. Stage references (<c>FROM build</c>, <c>COPY --from=0</c>)
/// are <see cref="ImageSource.Stage"/> with the stage's name.
/// </summary>
public sealed record DockerfileDocument(EquatableArray<StageRecipe> Stages, EquatableArray<ArgInstruction> GlobalArgs)
{
    /// <summary>The <c># syntax=</c> directive, if any. Recorded only: the built-in parser handles every file.</summary>
    public string? Syntax { get; init; }

    /// <summary>
    /// Variables that were expanded but never declared by an ARG or ENV in scope (they became empty, like unset
    /// variables in Docker). Usually they come from the base image's ENV, which is unknown unless
    /// <see cref="DockerfileParserOptions.BaseImageEnvironment"/> provides it; front ends show them as warnings.
    /// </summary>
    public EquatableArray<UnresolvedVariable> UnresolvedVariables { get; init; } = [];
}

/// <summary>A variable reference with no value in scope, and where it was used.</summary>
public sealed record UnresolvedVariable(string Name, SourceLocation Location)
{
    public override string ToString() => $"{Location}: warning: ${Name} is not set by an ARG or ENV in scope; it expands to nothing";
}
