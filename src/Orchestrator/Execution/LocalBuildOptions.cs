using Orchestrator.Execution.Local;
using Orchestrator.Layers;
using Orchestrator.Oci.Registry;

namespace Orchestrator.Execution;

/// <summary>Settings of the local userspace builder for one run.</summary>
public sealed record LocalBuildOptions
{
    /// <summary>Root of the local cache: blobs, extracted layers, cache mounts, temporary folders.</summary>
    public required string CacheDirectory { get; init; }

    public RegistryClientOptions Registry { get; init; } = RegistryClientOptions.FromEnvironment();

    public LayerWriterOptions Layers { get; init; } = new();

    /// <summary>Pushes to the recipes' destinations when true (<c>--no-push</c> turns it off).</summary>
    public bool Push { get; init; } = true;

    /// <summary><c>--no-cache</c>: no step is looked up in or reused from the local cache index (steps that run are still recorded).</summary>
    public bool NoCache { get; init; }

    /// <summary>How long an entry of a cache repo stays a hit (<c>--cache-ttl</c>); null keeps Kaniko's two weeks.</summary>
    public TimeSpan? CacheTimeToLive { get; init; }

    /// <summary>Steps that ran are pushed to their stage's cache repo (<c>--no-push-cache</c> turns it off).</summary>
    public bool PushCache { get; init; } = true;

    /// <summary><c>--cache-required</c>: a cache repo that cannot be read fails the build instead of being skipped with a warning.</summary>
    public bool CacheRequired { get; init; }

    /// <summary>Kaniko's <c>--cache-run-layers</c>: RUN steps are looked up in and pushed to the cache repo.</summary>
    public bool CacheRunLayers { get; init; } = true;

    /// <summary>Kaniko's <c>--cache-copy-layers</c>: COPY and ADD steps are looked up in and pushed to the cache repo.</summary>
    public bool CacheCopyLayers { get; init; } = true;

    /// <summary>Secret files by id (<c>--secret id=npmrc,src=~/.npmrc</c>); mounted only into the RUN steps that ask.</summary>
    public IReadOnlyDictionary<string, string> Secrets { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// SSH agent sockets by id (<c>--ssh default</c> is <c>$SSH_AUTH_SOCK</c>, <c>--ssh github=/run/agent.sock</c>); forwarded
    /// only into the RUN steps that mount them (<c>--mount=type=ssh[,id=…]</c>).
    /// </summary>
    public IReadOnlyDictionary<string, string> SshAgents { get; init; } = new Dictionary<string, string>();

    /// <summary>Image paths left out of every RUN layer (Kaniko's <c>--ignore-path</c>), e.g. <c>/var/cache</c>.</summary>
    public IReadOnlyList<string> IgnorePaths { get; init; } = [];

    /// <summary>
    /// The RUN sandbox. <see cref="SandboxChoice.Auto"/> probes once whether overlayfs can be mounted in a
    /// user namespace here and falls back to the chroot sandbox (flattened root per stage) when it cannot.
    /// </summary>
    public SandboxChoice Sandbox { get; init; } = SandboxChoice.Auto;

    /// <summary>Platform for stages that do not name one; null means the host's.</summary>
    public string? Platform { get; init; }

    /// <summary>Time recorded in image config and history (the layers' own times follow <see cref="LayerWriterOptions.Timestamps"/>).</summary>
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>The bases this build's front end resolved already (for their ENV); the build takes them from there.</summary>
    public ResolvedBaseImages ResolvedBases { get; init; } = new();

    public string TemporaryDirectory => Path.Combine(CacheDirectory, "tmp");

    /// <summary>The default cache root: <c>$XDG_CACHE_HOME/orchestrator</c>, else <c>~/.cache/orchestrator</c>.</summary>
    public static string DefaultCacheDirectory => Oci.Storage.LocalBlobStore.DefaultRoot;
}
