using Orchestrator.Recipes;

namespace Orchestrator.Scripting;

/// <summary>One compiler message about a build script, with 1-based line and column.</summary>
public sealed record ScriptDiagnostic(string File, int Line, int Column, bool IsError, string Id, string Message)
{
    /// <summary>Compiler style: <c>build.csx(3,5): error CS0103: The name 'x' does not exist in the current context</c>.</summary>
    public override string ToString()
    {
        var where = Line > 0 ? new SourceLocation(File, Line, Column: Math.Max(Column, 1)).ToString() : new SourceLocation(File, 0).DisplayFile;
        return $"{where}: {(IsError ? "error" : "warning")} {Id}: {Message}";
    }
}
