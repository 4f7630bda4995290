namespace Orchestrator.Scripting;

/// <summary>
/// A build script compiled to an assembly, with its portable PDB (so stack frames carry .csx file and
/// line), the submission factory to call, and every input it was compiled from.
/// Deliberately free of compiler types: the cache-hit path handles it without loading the compiler.
/// </summary>
internal sealed record CompiledScript(
    byte[] Assembly,
    byte[] Symbols,
    string EntryType,
    string EntryMethod,
    IReadOnlyList<ScriptInput> Sources,
    IReadOnlyList<ScriptInput> References);
