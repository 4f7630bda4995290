using k8s.Models;

namespace Orchestrator.Kubernetes;

/// <summary>
/// The <c>batch/v1</c> Job of one node: one pod, never restarted or retried by Kubernetes (the backend decides
/// about retries), removed some time after it finishes. The pod is unprivileged: no host paths, no Docker socket,
/// no privilege escalation, every capability dropped except the few the executor's chroot sandbox needs as root
/// of the container (see docs/kubernetes.md); the init container that fetches the context for an upstream Kaniko
/// executor runs as a non-root user.
/// </summary>
public static class JobManifest
{
    public const string ExecutorContainer = "executor";
    public const string FetchContainer = "fetch-context";
    public const string DockerConfigFolder = "/kaniko/.docker";
    public const string CertificatesFolder = "/kaniko/registry-certs";

    /// <summary>What a RUN step in the chroot sandbox needs as root of the container: own files, switch users, chroot.</summary>
    public static readonly IReadOnlyList<string> ExecutorCapabilities = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "SETGID", "SETUID", "SETFCAP", "SYS_CHROOT", "KILL"];

    public static V1Job Create(JobRequest request, KubernetesOptions options, string @namespace)
    {
        var labels = new Dictionary<string, string>
        {
            [KubernetesNames.ManagedByLabel] = KubernetesNames.ManagedByValue,
            [KubernetesNames.BuildIdLabel] = request.BuildId,
            [KubernetesNames.NodeLabel] = KubernetesNames.NodeLabelValue(request.Node),
        };
        var mounts = new List<V1VolumeMount> { new() { Name = "workspace", MountPath = ExecutorArguments.Workspace } };
        var volumes = new List<V1Volume> { new() { Name = "workspace", EmptyDir = new V1EmptyDirVolumeSource() } };
        if (options.PushSecret is { } secret)
        {
            mounts.Add(new V1VolumeMount { Name = "docker-config", MountPath = DockerConfigFolder, ReadOnlyProperty = true });
            volumes.Add(new V1Volume
            {
                Name = "docker-config",
                Secret = new V1SecretVolumeSource { SecretName = secret, Items = [new V1KeyToPath { Key = ".dockerconfigjson", Path = "config.json" }] },
            });
        }
        if (options.RegistryCertificates.Count > 0)
        {
            mounts.Add(new V1VolumeMount { Name = "registry-certificates", MountPath = CertificatesFolder, ReadOnlyProperty = true });
            volumes.Add(new V1Volume { Name = "registry-certificates", ConfigMap = new V1ConfigMapVolumeSource { Name = KubernetesNames.CertificatesConfigMap(request.BuildId) } });
        }
        var env = new List<V1EnvVar> { new() { Name = "DOCKER_CONFIG", Value = DockerConfigFolder } };

        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = new V1ObjectMeta
            {
                Name = request.JobName,
                NamespaceProperty = @namespace,
                Labels = labels,
                Annotations = new Dictionary<string, string> { ["orchestrator.build/node-name"] = request.Node },
            },
            Spec = new V1JobSpec
            {
                BackoffLimit = 0,
                Parallelism = 1,
                Completions = 1,
                ActiveDeadlineSeconds = (long)options.NodeDeadline.TotalSeconds,
                TtlSecondsAfterFinished = (int)options.FinishedJobTtl.TotalSeconds,
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string>(labels) },
                    Spec = new V1PodSpec
                    {
                        RestartPolicy = "Never",
                        ServiceAccountName = options.ServiceAccount,
                        AutomountServiceAccountToken = false,
                        EnableServiceLinks = false,
                        Volumes = volumes,
                        NodeSelector = options.NodeSelector.Count == 0 ? null : options.NodeSelector.OrderBy(l => l.Key, StringComparer.Ordinal).ToDictionary(l => l.Key, l => l.Value),
                        Tolerations = options.Tolerations.Count == 0 ? null : options.Tolerations.Select(t => new V1Toleration { Key = t.Key, OperatorProperty = t.Operator, Value = t.Value, Effect = t.Effect }).ToList(),
                        InitContainers = options.ExecutorFetchesContext ? null :
                        [
                            new V1Container
                            {
                                Name = FetchContainer,
                                Image = options.ContextFetchImage,
                                Command = ExecutorArguments.FetchContext(request.ContextBlob, request.ContextSize, options).ToList(),
                                Env = env,
                                VolumeMounts = mounts,
                                SecurityContext = new V1SecurityContext
                                {
                                    Privileged = false,
                                    AllowPrivilegeEscalation = false,
                                    RunAsNonRoot = true,
                                    RunAsUser = 65532,
                                    RunAsGroup = 65532,
                                    Capabilities = new V1Capabilities { Drop = ["ALL"] },
                                    SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
                                },
                            },
                        ],
                        Containers =
                        [
                            new V1Container
                            {
                                Name = ExecutorContainer,
                                Image = options.ExecutorImage,
                                Args = request.ExecutorArgs.ToList(),
                                Env = env,
                                VolumeMounts = mounts,
                                WorkingDir = ExecutorArguments.Workspace,
                                Resources = Resources(options),
                                TerminationMessagePath = ExecutorArguments.TerminationLog,
                                TerminationMessagePolicy = "File",
                                SecurityContext = new V1SecurityContext
                                {
                                    Privileged = false,
                                    AllowPrivilegeEscalation = false,
                                    RunAsUser = 0,
                                    Capabilities = new V1Capabilities { Drop = ["ALL"], Add = ExecutorCapabilities.ToList() },
                                    SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
                                },
                            },
                        ],
                    },
                },
            },
        };
    }

    /// <summary>Requests and limits of the executor container; null when none is set.</summary>
    private static V1ResourceRequirements? Resources(KubernetesOptions options)
    {
        static Dictionary<string, ResourceQuantity>? Pair(string? cpu, string? memory)
        {
            var pair = new Dictionary<string, ResourceQuantity>();
            if (cpu is not null) pair["cpu"] = new ResourceQuantity(cpu);
            if (memory is not null) pair["memory"] = new ResourceQuantity(memory);
            return pair.Count > 0 ? pair : null;
        }
        var requests = Pair(options.CpuRequest, options.MemoryRequest);
        var limits = Pair(options.CpuLimit, options.MemoryLimit);
        return requests is null && limits is null ? null : new V1ResourceRequirements { Requests = requests, Limits = limits };
    }

    /// <summary>True for what the API server accepts as a resource quantity (<c>500m</c>, <c>1.5</c>, <c>2Gi</c>, <c>1e3</c>).</summary>
    public static bool IsQuantity(string text) => System.Text.RegularExpressions.Regex.IsMatch(text,
        @"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$");

    /// <summary>The ConfigMap of the build's registry certificates (public CA certificates, so not a Secret), labelled like its Jobs.</summary>
    public static V1ConfigMap Certificates(string buildId, KubernetesOptions options, string @namespace) => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Metadata = new V1ObjectMeta
        {
            Name = KubernetesNames.CertificatesConfigMap(buildId),
            NamespaceProperty = @namespace,
            Labels = new Dictionary<string, string> { [KubernetesNames.ManagedByLabel] = KubernetesNames.ManagedByValue, [KubernetesNames.BuildIdLabel] = buildId },
        },
        Data = options.RegistryCertificates.OrderBy(c => c.Key, StringComparer.Ordinal)
            .ToDictionary(c => KubernetesNames.CertificateKey(c.Key), c => File.ReadAllText(c.Value)),
    };
}
