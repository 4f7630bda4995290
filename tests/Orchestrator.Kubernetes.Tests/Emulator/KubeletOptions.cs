namespace Orchestrator.Kubernetes.Tests.Emulator;

/// <summary>What the emulated node can run: images by name (their entrypoint) and the host files their paths stand for.</summary>
public sealed record KubeletOptions
{
    /// <summary>Pullable images and their entrypoints; any other image ends in ErrImagePull / ImagePullBackOff.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyList<string>> Images { get; init; }

    /// <summary>Paths inside the images and the host files that stand for them (e.g. the executor's dll).</summary>
    public IReadOnlyDictionary<string, string> ImageFiles { get; init; } = new Dictionary<string, string>();

    /// <summary>Where pod folders (volumes, termination messages, home) are made.</summary>
    public required string WorkRoot { get; init; }

    /// <summary>Environment every container gets besides its own (e.g. the test user's PATH).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
}
