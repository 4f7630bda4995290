namespace Orchestrator.Recipes;

/// <summary>One problem in a recipe, with the place it was written.</summary>
public sealed record RecipeError(SourceLocation Location, string Message)
{
    /// <summary>
    /// Compiler-style line: <c>build.csx(3,5): error: image 'x': RUN needs a command</c>; inside a loaded recipe file it
    /// ends with the root script's call: <c>… (called from build.csx(7,1))</c>.
    /// </summary>
    public override string ToString() => $"{Location}: error: {Message}{Location.CallerNote}";
}

/// <summary>One or more recipe errors; the message lists them all, one per line.</summary>
public sealed class RecipeException(IReadOnlyList<RecipeError> errors)
    : OrchestratorException(string.Join(Environment.NewLine, errors.Select(e => e.ToString())))
{
    public IReadOnlyList<RecipeError> Errors { get; } = errors;
}
