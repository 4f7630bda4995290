namespace Orchestrator.Execution.Local;

/// <summary>
/// Where and how <see cref="MountPlan.PrepareKernelFileSystems"/> mounts a step's kernel file systems, and the
/// sandbox's own mounts that share its <c>mount -a</c> passes (fstab lines, see <see cref="MountPlan.FstabLine"/>).
/// </summary>
/// <param name="Dev">Host folder that becomes the step's /dev.</param>
/// <param name="Sys">Host folder that becomes the step's /sys.</param>
/// <param name="SysfsAllowed">The step has a network namespace its user namespace owns, so a fresh sysfs can be mounted.</param>
/// <param name="TtyGroupMapped"><see cref="TtyGroup"/> exists in the step's user namespace, so devpts can give it the terminals.</param>
internal sealed record KernelMounts(string Dev, string Sys, bool SysfsAllowed, bool TtyGroupMapped)
{
    /// <summary>The tty group, which owns the terminals of a step's devpts where the user namespace maps it.</summary>
    public const uint TtyGroup = 5;

    /// <summary>Mounted first, in the same pass as /dev's tmpfs (the root and /proc).</summary>
    public string FirstMounts { get; init; } = "";

    /// <summary>What the first pass mounts, as its failure message names it.</summary>
    public string FirstWhat { get; init; } = "/dev";

    /// <summary>Appended to the first pass's failure message.</summary>
    public string FirstFailureHint { get; init; } = "";

    /// <summary>Mounted after /dev's devices, in the same pass (binds whose mount points exist already).</summary>
    public string LaterMounts { get; init; } = "";

    /// <summary>What the second pass mounts, as its failure message names it.</summary>
    public string LaterWhat { get; init; } = "the devices of /dev, /dev/shm, /dev/mqueue or /dev/pts";
}
