using Orchestrator.Recipes;

namespace Orchestrator.Dockerfiles;

/// <summary>
/// A parsed Dockerfile: its stages in order (named by <c>AS name</c>, or by index "0", "1", … when unnamed)
/// and the ARGs declared before the first FROM. Stage references (<c>FROM build</c>, <c>COPY --from=0</c>)
/// are <see cref="ImageSource.Stage"/> with the stage's name.
/// </summary>
public sealed record DockerfileDocument(EquatableArray<StageRecipe> Stages, EquatableArray<ArgInstruction> GlobalArgs);
