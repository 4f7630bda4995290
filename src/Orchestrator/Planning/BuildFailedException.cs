namespace Orchestrator.Planning;

/// <summary>One or more nodes failed; the message names each failed node and its error.</summary>
public sealed class BuildFailedException(IReadOnlyDictionary<string, Exception> failures)
    : OrchestratorException(string.Join(Environment.NewLine, failures.Select(f => $"{f.Key}: {f.Value.Message}")))
{
    public IReadOnlyDictionary<string, Exception> Failures { get; } = failures;
}
