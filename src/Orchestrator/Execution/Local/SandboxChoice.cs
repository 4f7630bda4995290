namespace Orchestrator.Execution.Local;

/// <summary>Which step sandbox a local build uses (<c>--sandbox</c>).</summary>
public enum SandboxChoice
{
    /// <summary>Overlay when this host allows it (probed once per build), else the chroot fallback.</summary>
    Auto,

    /// <summary><see cref="OverlaySandbox"/>: layer folders stacked with overlayfs in a user namespace.</summary>
    Overlay,

    /// <summary><see cref="ChrootSandbox"/>: one flattened root folder per stage, changes found by a metadata walk.</summary>
    Chroot,
}
