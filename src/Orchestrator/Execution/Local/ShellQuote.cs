namespace Orchestrator.Execution.Local;

/// <summary>POSIX shell single-quoting: every value reaches the command as one literal word.</summary>
internal static class ShellQuote
{
    public static string Quote(string value)
    {
        if (value.Contains('\0')) throw new OrchestratorException("a sandbox argument contains a NUL character, which no command can receive.");
        return "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }
}
