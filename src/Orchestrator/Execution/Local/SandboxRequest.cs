namespace Orchestrator.Execution.Local;

/// <summary>A host file or folder bound into the step at an absolute path.</summary>
public sealed record SandboxBind(string HostPath, string Target);

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
}
