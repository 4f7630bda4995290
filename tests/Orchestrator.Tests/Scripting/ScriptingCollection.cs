namespace Orchestrator.Tests.Scripting;

/// <summary>
/// Script tests run one after another: some observe the process-wide count of compilations, and
/// compiling is CPU-bound anyway.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ScriptingCollection
{
    public const string Name = "Scripting";
}
