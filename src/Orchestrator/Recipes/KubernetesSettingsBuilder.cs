using Orchestrator.Dockerfiles;

namespace Orchestrator.Recipes;

/// <summary>
/// The fluent side of <see cref="KubernetesSettings"/> in a build script:
/// <c>Kubernetes(k => k.Namespace("builds").ExecutorImage("…").Resources(cpu: "1", memory: "2Gi").Retries(1))</c>.
/// Flags given on the command line win over what is set here.
/// </summary>
public sealed class KubernetesSettingsBuilder
{
    private readonly SourceLocation _location;

    internal KubernetesSettingsBuilder(KubernetesSettings settings, SourceLocation location)
    {
        Settings = settings;
        _location = location;
    }

    public KubernetesSettings Settings { get; private set; }

    public KubernetesSettingsBuilder Namespace(string name) => Set(Settings with { Namespace = Required(name, nameof(Namespace)) });

    public KubernetesSettingsBuilder ExecutorImage(string image) => Set(Settings with { ExecutorImage = Required(image, nameof(ExecutorImage)) });

    public KubernetesSettingsBuilder ServiceAccount(string name) => Set(Settings with { ServiceAccount = Required(name, nameof(ServiceAccount)) });

    /// <summary>Requests (<paramref name="cpu"/>, <paramref name="memory"/>) and limits of the executor container; null leaves one unset.</summary>
    public KubernetesSettingsBuilder Resources(string? cpu = null, string? memory = null, string? cpuLimit = null, string? memoryLimit = null) =>
        Set(Settings with { Cpu = cpu ?? Settings.Cpu, Memory = memory ?? Settings.Memory, CpuLimit = cpuLimit ?? Settings.CpuLimit, MemoryLimit = memoryLimit ?? Settings.MemoryLimit });

    public KubernetesSettingsBuilder NodeSelector(string key, string value)
    {
        var selector = new Dictionary<string, string>(Settings.NodeSelector, StringComparer.Ordinal) { [Required(key, nameof(NodeSelector))] = value };
        return Set(Settings with { NodeSelector = selector });
    }

    /// <summary>Tolerates the taint <paramref name="key"/> (=<paramref name="value"/> when given, else any value) with <paramref name="effect"/>.</summary>
    public KubernetesSettingsBuilder Toleration(string key, string? value = null, string effect = "NoSchedule")
    {
        if (!KubernetesToleration.TryCreate(key, value, effect, out var toleration, out var error)) throw Error(error);
        return Set(Settings with { Tolerations = [.. Settings.Tolerations, toleration] });
    }

    public KubernetesSettingsBuilder Deadline(TimeSpan deadline) =>
        deadline > TimeSpan.Zero ? Set(Settings with { Deadline = deadline }) : throw Error($"Deadline({deadline}) must be positive");

    /// <summary>A Go duration, as <c>--node-deadline</c> takes it: <c>45m</c>, <c>2h</c>.</summary>
    public KubernetesSettingsBuilder Deadline(string duration) =>
        GoDuration.TryParse(duration, out var deadline) ? Deadline(deadline) : throw Error($"Deadline(\"{duration}\") is not a duration such as 45m or 2h");

    public KubernetesSettingsBuilder MaxParallelJobs(int jobs) =>
        jobs >= 1 ? Set(Settings with { MaxParallelJobs = jobs }) : throw Error($"MaxParallelJobs({jobs}) must be at least 1");

    public KubernetesSettingsBuilder Retries(int retries) =>
        retries >= 0 ? Set(Settings with { Retries = retries }) : throw Error($"Retries({retries}) must be 0 or more");

    /// <summary>The dockerconfigjson Secret mounted in the pods; <c>""</c> for none.</summary>
    public KubernetesSettingsBuilder PushSecret(string name) => Set(Settings with { PushSecret = name });

    private KubernetesSettingsBuilder Set(KubernetesSettings settings)
    {
        Settings = settings;
        return this;
    }

    private string Required(string value, string what) =>
        string.IsNullOrWhiteSpace(value) ? throw Error($"Kubernetes: {what}(…) needs a value") : value;

    private RecipeException Error(string message) => new([new RecipeError(_location, "Kubernetes: " + message)]);
}
