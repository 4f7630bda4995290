using System.Diagnostics.CodeAnalysis;

namespace Orchestrator.Hosting;

/// <summary>
/// The executor image's build of the CLI: compiled ahead of time to one native program (Native AOT), which starts
/// in a fraction of the .NET runtime's time, as every build pod starts a fresh one. Native code cannot compile
/// recipe scripts and the pod needs no Kubernetes client, so that build has only the <c>executor</c> and
/// <c>k8s fetch-context</c> commands and the local backend. Its publish sets the switch
/// (<c>-p:OrchestratorExecutorOnly=true</c>, see Orchestrator.Cli.csproj), and the compiler leaves out all code
/// behind it.
/// </summary>
public static class ExecutorOnlyBuild
{
    public const string Switch = "Orchestrator.ExecutorOnly";

    [FeatureSwitchDefinition(Switch)]
    public static bool IsEnabled => AppContext.TryGetSwitch(Switch, out var enabled) && enabled;
}
