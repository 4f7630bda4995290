namespace Orchestrator.Execution.Local;

public enum SandboxStream
{
    Stdout,
    Stderr,
}

public readonly record struct SandboxOutputLine(SandboxStream Stream, string Text);
