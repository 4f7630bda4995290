using Orchestrator.Hosting;

namespace Orchestrator.Nuke;

/// <summary>
/// Immutable settings of <see cref="OrchestratorTasks"/>, changed with the fluent methods of
/// <see cref="OrchestratorBuildSettingsExtensions"/>. It holds the build host's own <see cref="BuildSettings"/>,
/// so every setting means exactly what the CLI's flag of the same name means.
/// </summary>
public sealed record OrchestratorBuildSettings
{
    /// <summary>The settings the build runs with.</summary>
    public BuildSettings Build { get; init; } = new();

    /// <summary>Where progress lines go when <see cref="BuildSettings.Observer"/> is not set; default standard output.</summary>
    public Action<string>? Logger { get; init; }
}
