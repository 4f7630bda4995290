using Orchestrator.Execution;
using Orchestrator.Oci.Registry;
using Orchestrator.Recipes;

namespace Orchestrator.Kubernetes;

/// <summary>Settings of the Kubernetes backend for one run (CLI flags <c>--namespace</c>, <c>--executor-image</c>, ...).</summary>
public sealed record KubernetesOptions
{
    /// <summary>Namespace of the Jobs and of the push secret; null: the kubeconfig context's namespace, else <c>default</c>.</summary>
    public string? Namespace { get; init; }

    /// <summary>kubeconfig context; null: the current context.</summary>
    public string? Context { get; init; }

    /// <summary>kubeconfig file; null: KUBECONFIG or ~/.kube/config, else the in-cluster service account.</summary>
    public string? KubeconfigPath { get; init; }

    /// <summary>
    /// The executor image every Job runs: this project's executor (built by the repository's build.csx), or an
    /// upstream Kaniko image (both read Kaniko's flags). There is no default: the cluster must be able to pull it.
    /// </summary>
    public string ExecutorImage { get; init; } = "";

    /// <summary>
    /// Image of an init container that fetches the build context into <c>/workspace</c>, for an
    /// <see cref="ExecutorImage"/> that cannot (upstream Kaniko): it runs <c>/orchestrator/dotnet-orchestrate k8s fetch-context</c>,
    /// so it must be this project's executor image. Null: no init container; the executor (this project's)
    /// reads the context blob from the registry itself.
    /// </summary>
    public string? ContextFetchImage { get; init; }

    /// <summary>True when the executor reads its context blob itself (<c>--context=oci-blob://…</c>): no <see cref="ContextFetchImage"/>.</summary>
    public bool ExecutorFetchesContext => ContextFetchImage is null;

    public string? ServiceAccount { get; init; }

    /// <summary>Longest a node's Job may run (activeDeadlineSeconds).</summary>
    public TimeSpan NodeDeadline { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How many Jobs of this build may exist at once (on top of the scheduler's <c>--jobs</c>).</summary>
    public int MaxParallelJobs { get; init; } = 8;

    /// <summary>How often a failed node's Job is created again before the node fails (not for user errors such as a failing RUN).</summary>
    public int Retries { get; init; }

    /// <summary>Name of an existing <c>kubernetes.io/dockerconfigjson</c> Secret; null for none (anonymous registries).</summary>
    public string? PushSecret { get; init; } = "regcred";

    /// <summary>When set, every object created is also written here as YAML (secret values never).</summary>
    public string? EmitManifestsDirectory { get; init; }

    /// <summary>How long a finished Job stays before Kubernetes removes it (ttlSecondsAfterFinished).</summary>
    public TimeSpan FinishedJobTtl { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Pushes final images to their destinations; false still pushes to the cache repo (dependents read it there).</summary>
    public bool Push { get; init; } = true;

    /// <summary>Passed as <c>--reproducible</c> to the executor.</summary>
    public bool Reproducible { get; init; }

    /// <summary>Platform for stages that do not name one (<c>--custom-platform</c>).</summary>
    public string? Platform { get; init; }

    /// <summary>Registries reached over plain HTTP (<c>--insecure-registry</c> to the executor too).</summary>
    public IReadOnlyList<string> InsecureRegistries { get; init; } = [];

    /// <summary>Build arguments given on the command line (the recipes already hold their expanded values).</summary>
    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>();

    /// <summary>How this machine reaches the registries (uploads of build contexts).</summary>
    public RegistryClientOptions Registry { get; init; } = RegistryClientOptions.FromEnvironment();

    /// <summary>Fixed build id (labels, Job names); null: a fresh random one. Tests fix it for golden files.</summary>
    public string? BuildId { get; init; }

    /// <summary>
    /// How this machine looks nodes up in the cache before dispatching them: the local cache folder, and the layer
    /// encoding the executor in the pods uses (gzip, the <c>--reproducible</c> timestamps), so keys and entries match
    /// the executor's. A node whose every step hits is assembled here and never becomes a Job. Null: every node is a Job.
    /// </summary>
    public LocalBuildOptions? CacheLookup { get; init; }

    /// <summary>CPU request of the executor container (a Kubernetes quantity: <c>500m</c>, <c>2</c>); null: none.</summary>
    public string? CpuRequest { get; init; }

    /// <summary>Memory request of the executor container (<c>512Mi</c>, <c>2Gi</c>); null: none.</summary>
    public string? MemoryRequest { get; init; }

    public string? CpuLimit { get; init; }

    public string? MemoryLimit { get; init; }

    /// <summary>Node labels the build pods must match (<c>nodeSelector</c>).</summary>
    public IReadOnlyDictionary<string, string> NodeSelector { get; init; } = new Dictionary<string, string>();

    /// <summary>Taints the build pods tolerate.</summary>
    public IReadOnlyList<KubernetesToleration> Tolerations { get; init; } = [];

    /// <summary>These options with what <paramref name="settings"/> sets (the command line's over the script's) in place of their own.</summary>
    public KubernetesOptions With(KubernetesSettings settings) => this with
    {
        Namespace = settings.Namespace ?? Namespace,
        ExecutorImage = settings.ExecutorImage ?? ExecutorImage,
        ServiceAccount = settings.ServiceAccount ?? ServiceAccount,
        CpuRequest = settings.Cpu ?? CpuRequest,
        MemoryRequest = settings.Memory ?? MemoryRequest,
        CpuLimit = settings.CpuLimit ?? CpuLimit,
        MemoryLimit = settings.MemoryLimit ?? MemoryLimit,
        NodeSelector = settings.NodeSelector.Count > 0 ? settings.NodeSelector : NodeSelector,
        Tolerations = settings.Tolerations.Count > 0 ? settings.Tolerations : Tolerations,
        NodeDeadline = settings.Deadline ?? NodeDeadline,
        MaxParallelJobs = settings.MaxParallelJobs ?? MaxParallelJobs,
        Retries = settings.Retries ?? Retries,
        PushSecret = settings.PushSecret is { } secret ? (secret.Length == 0 ? null : secret) : PushSecret,
    };

    /// <summary>
    /// PEM certificates (paths on this machine) to trust per registry (<c>--registry-certificate</c>): put into a ConfigMap
    /// of the build, mounted in the pods at <see cref="JobManifest.CertificatesFolder"/> and passed as Kaniko's
    /// <c>--registry-certificate</c>; this machine's uploads trust them too (see <see cref="Registry"/>).
    /// </summary>
    public IReadOnlyDictionary<string, string> RegistryCertificates { get; init; } = new Dictionary<string, string>();

    /// <summary>Registries whose TLS certificate the pods do not verify (<c>--skip-tls-verify-registry</c> to the executor).</summary>
    public IReadOnlyList<string> SkipTlsVerifyRegistries { get; init; } = [];

    /// <summary>
    /// <c>--push-secret-from-local</c>: each node's pod gets a dockerconfigjson Secret made from this machine's Docker
    /// credentials for exactly the registries that node reads and pushes, deleted once the node is done (instead of <see cref="PushSecret"/>).
    /// </summary>
    public bool PushSecretFromLocal { get; init; }
}
