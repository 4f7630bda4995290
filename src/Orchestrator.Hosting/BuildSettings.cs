using Orchestrator.Planning;

namespace Orchestrator.Hosting;

/// <summary>
/// What a build is asked to do, whichever front end asks (the CLI's flags, Cake's and Nuke's settings map onto it).
/// </summary>
public sealed record BuildSettings
{
    public string ScriptPath { get; init; } = "build.csx";

    public IReadOnlyList<string> Targets { get; init; } = [];

    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>();

    public int Jobs { get; init; } = Environment.ProcessorCount;

    public string Backend { get; init; } = "local";

    public bool NoPush { get; init; }

    public string? Output { get; init; }

    public string? CacheRepo { get; init; }

    public bool NoCache { get; init; }

    /// <summary>How long cache-repo entries stay hits (<c>--cache-ttl</c>); null keeps two weeks.</summary>
    public TimeSpan? CacheTimeToLive { get; init; }

    /// <summary><c>--no-push-cache</c>: steps that ran are not pushed to the cache repo.</summary>
    public bool NoPushCache { get; init; }

    /// <summary><c>--cache-required</c>: fail instead of building without a cache repo that cannot be read.</summary>
    public bool CacheRequired { get; init; }

    /// <summary>Kaniko's <c>--cache-run-layers</c> / <c>--cache-copy-layers</c>: which steps the cache repo holds.</summary>
    public bool CacheRunLayers { get; init; } = true;

    public bool CacheCopyLayers { get; init; } = true;

    public string? CacheDirectory { get; init; }

    public IReadOnlyList<string> InsecureRegistries { get; init; } = [];

    /// <summary>PEM certificates to trust per registry (<c>--registry-certificate REGISTRY=PATH</c>), full paths.</summary>
    public IReadOnlyDictionary<string, string> RegistryCertificates { get; init; } = new Dictionary<string, string>();

    /// <summary>Registries whose TLS certificate is not verified (<c>--skip-tls-verify-registry</c>, <c>--skip-tls-verify</c>'s destinations).</summary>
    public IReadOnlyList<string> SkipTlsVerifyRegistries { get; init; } = [];

    /// <summary>Pull-through mirrors by the registry they stand in for (<c>--registry-mirror</c>, <c>--registry-map</c>).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> RegistryMirrors { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary><c>--skip-tls-verify-pull</c>: registries other than <see cref="PushRegistries"/> are not verified.</summary>
    public bool SkipTlsVerifyPull { get; init; }

    public IReadOnlyList<string> PushRegistries { get; init; } = [];

    /// <summary>Secret files by id (<c>--secret id=npmrc,src=PATH</c>), for RUN steps that mount them.</summary>
    public IReadOnlyDictionary<string, string> Secrets { get; init; } = new Dictionary<string, string>();

    /// <summary>SSH agent sockets by id (<c>--ssh default</c>, <c>--ssh ID=SOCKET</c>), for RUN steps that mount them.</summary>
    public IReadOnlyDictionary<string, string> SshAgents { get; init; } = new Dictionary<string, string>();

    /// <summary>Pin every time in layers and config to SOURCE_DATE_EPOCH or the Unix epoch.</summary>
    public bool Reproducible { get; init; }

    public string Compression { get; init; } = "gzip";

    public int? CompressionLevel { get; init; }

    /// <summary>Paths left out of every RUN layer (Kaniko's <c>--ignore-path</c>).</summary>
    public IReadOnlyList<string> IgnorePaths { get; init; } = [];

    /// <summary>Attempts per registry operation; null keeps the default.</summary>
    public int? PushRetries { get; init; }

    /// <summary>Platform for every stage that does not name one (<c>os/arch[/variant]</c>).</summary>
    public string? Platform { get; init; }

    /// <summary>RUN sandbox of the local builder: <c>auto</c> (overlay where allowed, else chroot), <c>overlay</c> or <c>chroot</c>.</summary>
    public string Sandbox { get; init; } = "auto";

    /// <summary>Settings of <c>--backend kubernetes</c> (namespace, executor image, ...).</summary>
    public Kubernetes.KubernetesOptions Kubernetes { get; init; } = new();

    /// <summary>Receives node progress while the build runs (<see cref="PlainBuildObserver"/> writes it as lines); null: nothing is reported.</summary>
    public IBuildObserver? Observer { get; init; }
    /// <summary>How the Jobs run, as given on the command line (only the flags given); they win over <see cref="KubernetesScript"/>.</summary>
    public Recipes.KubernetesSettings KubernetesFlags { get; init; } = new();

    /// <summary>How the Jobs run, as the script's <c>Kubernetes(k => …)</c> set it.</summary>
    public Recipes.KubernetesSettings KubernetesScript { get; init; } = new();

    /// <summary>
    /// The registry bases this build has resolved: the front end's ENV lookups fill it, the executor reads it. Each
    /// build starts with an empty one (<see cref="ForOneBuild"/>), so a settings object used twice never sees an old tag.
    /// </summary>
    internal Execution.ResolvedBaseImages ResolvedBases { get; init; } = new();

    /// <summary>These settings for one build: with bases of its own to resolve.</summary>
    internal BuildSettings ForOneBuild() => this with { ResolvedBases = new() };
}
