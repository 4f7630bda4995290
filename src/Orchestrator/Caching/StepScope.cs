using Orchestrator.Recipes;

namespace Orchestrator.Caching;

/// <summary>
/// The build args and environment a step can see. Only RUN sees them (as its process environment); every other
/// instruction has its values expanded already, so they are in its fields.
/// </summary>
/// <param name="BuildArgs">ARG values in scope: declared in the stage before the step, with a value.</param>
/// <param name="Environment">ENV set by the stage's own ENV steps (the base's ENV is covered by the root's identity).</param>
public sealed record StepScope(EquatableArray<KeyValuePair<string, string>> BuildArgs, EquatableArray<KeyValuePair<string, string>> Environment)
{
    public static StepScope None { get; } = new([], []);
}
