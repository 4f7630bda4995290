namespace Orchestrator.Execution.Local;

/// <summary>A host file or folder bound into the step at an absolute path.</summary>
public sealed record SandboxBind(string HostPath, string Target)
{
    /// <summary>For <see cref="SandboxRequest.BindMounts"/>: whether the step may write there (its writes land in the host path).</summary>
    public bool ReadWrite { get; init; }
}

/// <summary>An empty in-memory folder at an absolute path for one run; <see cref="Size"/> in bytes, null for the kernel's default.</summary>
public sealed record SandboxTmpfs(string Target, long? Size = null);

/// <summary>
/// One command to run on a stack of layer folders. Changes land in <see cref="UpperFolder"/>
/// (empty at the start; after the run it is the step's diff).
/// </summary>
public sealed record SandboxRequest(IReadOnlyList<string> Layers, string UpperFolder, IReadOnlyList<string> Command)
{
    /// <summary>Environment of the command; PATH defaults to Docker's when absent.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Absolute path inside the image; created (in the layer) when missing.</summary>
    public string WorkingDirectory { get; init; } = "/";

    /// <summary><c>uid[:gid]</c> or <c>name[:group]</c>, names resolved through the image's /etc/passwd and /etc/group. Null: root.</summary>
    public string? User { get; init; }

    public bool Network { get; init; } = true;

    /// <summary>Secret files, bound read-only for this run only; never part of the upper folder.</summary>
    public IReadOnlyList<SandboxBind> Secrets { get; init; } = [];

    /// <summary>Persistent folders bound read-write (cache mounts); never part of the upper folder.</summary>
    public IReadOnlyList<SandboxBind> CacheMounts { get; init; } = [];

    /// <summary>
    /// Files or folders bound for this run only (RUN bind mounts): read-only unless <see cref="SandboxBind.ReadWrite"/>;
    /// never part of the upper folder. The host paths are the caller's own copies, so a step's writes there go nowhere.
    /// </summary>
    public IReadOnlyList<SandboxBind> BindMounts { get; init; } = [];

    /// <summary>Empty in-memory folders for this run only; never part of the upper folder.</summary>
    public IReadOnlyList<SandboxTmpfs> TmpfsMounts { get; init; } = [];

    /// <summary>SSH agent sockets bound for this run only; never part of the upper folder.</summary>
    public IReadOnlyList<SandboxBind> SshSockets { get; init; } = [];
}
