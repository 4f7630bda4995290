namespace Orchestrator.Scripting;

/// <summary>
/// A build script that does not compile. The message lists every error, one per line, as
/// <c>file(line,col): error CSxxxx: message</c>; front ends exit with code 2.
/// </summary>
public sealed class ScriptCompilationException : OrchestratorException
{
    public ScriptCompilationException(string scriptPath, IReadOnlyList<ScriptDiagnostic> diagnostics)
        : base(FormatMessage(diagnostics))
    {
        ScriptPath = scriptPath;
        Diagnostics = diagnostics;
    }

    /// <summary>The root script that was compiled.</summary>
    public string ScriptPath { get; }

    /// <summary>Errors and warnings as the compiler reported them.</summary>
    public IReadOnlyList<ScriptDiagnostic> Diagnostics { get; }

    public IEnumerable<ScriptDiagnostic> Errors => Diagnostics.Where(d => d.IsError);

    private static string FormatMessage(IReadOnlyList<ScriptDiagnostic> diagnostics) =>
        string.Join(Environment.NewLine, diagnostics.Where(d => d.IsError).Select(d => d.ToString()));
}
