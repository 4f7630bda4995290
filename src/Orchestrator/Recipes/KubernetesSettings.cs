namespace Orchestrator.Recipes;

/// <summary>
/// How <c>--backend kubernetes</c> runs this build's Jobs, as a script sets it (<c>Kubernetes(k => k.Namespace(…)…)</c>)
/// or the command line does. Null (or empty) means "not set here": <see cref="Over"/> lets the command line's values
/// win over the script's, field by field, and the backend's defaults apply to what neither sets.
/// </summary>
public sealed record KubernetesSettings
{
    public string? Namespace { get; init; }

    public string? ExecutorImage { get; init; }

    public string? ServiceAccount { get; init; }

    /// <summary>Requests and limits of the executor container, as Kubernetes quantities (<c>500m</c>, <c>2Gi</c>).</summary>
    public string? Cpu { get; init; }

    public string? Memory { get; init; }

    public string? CpuLimit { get; init; }

    public string? MemoryLimit { get; init; }

    public IReadOnlyDictionary<string, string> NodeSelector { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<KubernetesToleration> Tolerations { get; init; } = [];

    /// <summary>Longest a node's Job may run (<c>activeDeadlineSeconds</c>).</summary>
    public TimeSpan? Deadline { get; init; }

    public int? MaxParallelJobs { get; init; }

    public int? Retries { get; init; }

    /// <summary>The dockerconfigjson Secret mounted in the pods; empty: none (anonymous registries).</summary>
    public string? PushSecret { get; init; }

    /// <summary>
    /// These settings where they are set, else <paramref name="fallback"/>'s: scalars one by one, node selector labels
    /// key by key, tolerations as a whole list.
    /// </summary>
    public KubernetesSettings Over(KubernetesSettings fallback)
    {
        var selector = new Dictionary<string, string>(fallback.NodeSelector, StringComparer.Ordinal);
        foreach (var (key, value) in NodeSelector) selector[key] = value;
        return new KubernetesSettings
        {
            Namespace = Namespace ?? fallback.Namespace,
            ExecutorImage = ExecutorImage ?? fallback.ExecutorImage,
            ServiceAccount = ServiceAccount ?? fallback.ServiceAccount,
            Cpu = Cpu ?? fallback.Cpu,
            Memory = Memory ?? fallback.Memory,
            CpuLimit = CpuLimit ?? fallback.CpuLimit,
            MemoryLimit = MemoryLimit ?? fallback.MemoryLimit,
            NodeSelector = selector,
            Tolerations = Tolerations.Count > 0 ? Tolerations : fallback.Tolerations,
            Deadline = Deadline ?? fallback.Deadline,
            MaxParallelJobs = MaxParallelJobs ?? fallback.MaxParallelJobs,
            Retries = Retries ?? fallback.Retries,
            PushSecret = PushSecret ?? fallback.PushSecret,
        };
    }
}
