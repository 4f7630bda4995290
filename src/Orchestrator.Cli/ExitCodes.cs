namespace Orchestrator.Cli;

/// <summary>Documented process exit codes.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>A step or node failed while building.</summary>
    public const int BuildFailed = 1;

    /// <summary>Bad command line, script compile error, or invalid recipe: nothing was built.</summary>
    public const int UsageError = 2;

    /// <summary>Interrupted (Ctrl-C / SIGTERM), like a shell's 128 + SIGINT.</summary>
    public const int Cancelled = 130;
}
