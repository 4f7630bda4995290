namespace Orchestrator.Execution.Local;

/// <summary>Runs a step's command on a layer stack and records its changes in an upper folder.</summary>
public interface ISandbox
{
    /// <summary>
    /// True: <see cref="SandboxRequest.Layers"/> are read-only layer folders stacked as given.
    /// False: it is exactly one writable, flattened root folder that the step changes in place.
    /// </summary>
    bool StacksLayers { get; }

    /// <returns>The command's exit code.</returns>
    Task<int> RunAsync(SandboxRequest request, Action<SandboxOutputLine> onOutput, CancellationToken cancellationToken);
}
