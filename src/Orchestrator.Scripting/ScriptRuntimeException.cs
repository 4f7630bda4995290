using Orchestrator.Recipes;

namespace Orchestrator.Scripting;

/// <summary>
/// An exception a build script threw that is not already an <see cref="OrchestratorException"/>:
/// the message names the script line that threw it; the original is the inner exception.
/// </summary>
public sealed class ScriptRuntimeException : OrchestratorException
{
    public ScriptRuntimeException(SourceLocation location, Exception inner)
        : base($"{location}: error: the script threw {inner.GetType().Name}: {inner.Message}{location.CallerNote}", inner)
    {
        Location = location;
    }

    /// <summary>The script line the exception came from (the root script when no line could be found).</summary>
    public SourceLocation Location { get; }
}
