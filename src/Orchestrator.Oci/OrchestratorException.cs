namespace Orchestrator;

/// <summary>
/// An error the user can cause and fix (a bad recipe, an unreachable registry, a failing step).
/// Front ends print <see cref="Exception.Message"/> without a stack trace. The message names the
/// thing at fault and what to do; it never carries a secret.
/// </summary>
public class OrchestratorException : Exception
{
    public OrchestratorException(string message) : base(message) { }

    public OrchestratorException(string message, Exception? inner) : base(message, inner) { }
}
