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

public enum SandboxStream
{
    Stdout,
    Stderr,
}

public readonly record struct SandboxOutputLine(SandboxStream Stream, string Text);

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
