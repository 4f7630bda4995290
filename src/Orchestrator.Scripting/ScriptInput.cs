namespace Orchestrator.Scripting;

/// <summary>A file a compiled script depends on (a source or a <c>#r</c> assembly) and the SHA-256 of its content when compiled.</summary>
internal sealed record ScriptInput(string Path, string Sha256);
