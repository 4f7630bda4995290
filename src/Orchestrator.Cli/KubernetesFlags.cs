using System.CommandLine;
using Orchestrator.Dockerfiles;
using Orchestrator.Kubernetes;
using Orchestrator.Recipes;
using Command = System.CommandLine.Command;

namespace Orchestrator.Cli;

/// <summary>
/// The options of <c>--backend kubernetes</c>: how the cluster is reached (<see cref="KubernetesOptions"/>), and how the
/// Jobs run (<see cref="KubernetesSettings"/>, only what was given, so that the script's <c>Kubernetes(…)</c> fills the rest).
/// </summary>
internal sealed class KubernetesFlags
{
    private readonly Option<string?> _namespace = new("--namespace") { Description = "kubernetes backend: namespace of the Jobs (default: the kubeconfig context's, else default)." };
    private readonly Option<string?> _context = new("--kube-context") { Description = "kubernetes backend: kubeconfig context (default: the current one)." };
    private readonly Option<string?> _kubeconfig = new("--kubeconfig") { Description = "kubernetes backend: kubeconfig file (default: KUBECONFIG, ~/.kube/config, or the pod's service account)." };
    private readonly Option<string?> _executorImage = new("--executor-image") { Description = "kubernetes backend: image of the executor (this project's, built by the repository's build.csx, or an upstream Kaniko image); required." };
    private readonly Option<string?> _fetchImage = new("--context-fetch-image") { Description = "kubernetes backend: image of the init container that fetches the context (default: --executor-image; must be this project's)." };
    private readonly Option<string?> _serviceAccount = new("--service-account") { Description = "kubernetes backend: service account of the build pods." };
    private readonly Option<string?> _cpu = new("--cpu") { Description = "kubernetes backend: CPU request of the executor container (e.g. 500m, 2)." };
    private readonly Option<string?> _memory = new("--memory") { Description = "kubernetes backend: memory request of the executor container (e.g. 512Mi, 2Gi)." };
    private readonly Option<string?> _cpuLimit = new("--cpu-limit") { Description = "kubernetes backend: CPU limit of the executor container." };
    private readonly Option<string?> _memoryLimit = new("--memory-limit") { Description = "kubernetes backend: memory limit of the executor container." };
    private readonly Option<string[]> _nodeSelector = new("--node-selector") { Description = "kubernetes backend: KEY=VALUE node label the build pods need (repeatable).", Arity = ArgumentArity.ZeroOrMore };
    private readonly Option<string[]> _toleration = new("--toleration") { Description = "kubernetes backend: KEY[=VALUE]:EFFECT taint the build pods tolerate (repeatable).", Arity = ArgumentArity.ZeroOrMore };
    private readonly Option<string?> _deadline = new("--node-deadline") { Description = "kubernetes backend: longest a node's Job may run (Go duration, e.g. 30m; default 1h)." };
    private readonly Option<int?> _maxJobs = new("--max-parallel-jobs") { Description = "kubernetes backend: Jobs of this build at once (default 8)." };
    private readonly Option<int?> _retries = new("--retries") { Description = "kubernetes backend: new Jobs for a failed node before it fails (default 0)." };
    private readonly Option<string?> _pushSecret = new("--push-secret") { Description = "kubernetes backend: kubernetes.io/dockerconfigjson Secret mounted at /kaniko/.docker/config.json (default regcred; '' for none)." };
    private readonly Option<bool> _pushSecretFromLocal = new("--push-secret-from-local") { Description = "kubernetes backend: instead of --push-secret, give each node's pod a Secret made from this machine's Docker credentials for the registries that node uses; deleted when the node is done." };
    private readonly Option<string?> _emit = new("--emit-manifests") { Description = "kubernetes backend: also write every object created as YAML into DIR." };

    public KubernetesFlags()
    {
        _maxJobs.Validators.Add(r => { if (r.GetValueOrDefault<int?>() < 1) r.AddError("--max-parallel-jobs must be at least 1"); });
        _retries.Validators.Add(r => { if (r.GetValueOrDefault<int?>() < 0) r.AddError("--retries must be 0 or more"); });
        _deadline.Validators.Add(r =>
        {
            var value = r.GetValueOrDefault<string?>() ?? "";
            if (!GoDuration.TryParse(value, out var duration) || duration <= TimeSpan.Zero)
                r.AddError($"--node-deadline '{value}' is not a positive duration such as 45m or 2h");
        });
        foreach (var (option, name) in new[] { (_cpu, "--cpu"), (_memory, "--memory"), (_cpuLimit, "--cpu-limit"), (_memoryLimit, "--memory-limit") })
            option.Validators.Add(r =>
            {
                var value = r.GetValueOrDefault<string?>() ?? "";
                if (!JobManifest.IsQuantity(value)) r.AddError($"{name} '{value}' is not a Kubernetes quantity; write CPU as 500m or 2, memory as 512Mi or 2Gi");
            });
        _nodeSelector.Validators.Add(r =>
        {
            foreach (var item in r.GetValueOrDefault<string[]>() ?? [])
                if (item.IndexOf('=', StringComparison.Ordinal) <= 0) r.AddError($"--node-selector '{item}' is not KEY=VALUE, e.g. --node-selector kubernetes.io/arch=amd64");
        });
        _toleration.Validators.Add(r =>
        {
            foreach (var item in r.GetValueOrDefault<string[]>() ?? [])
                if (!KubernetesToleration.TryParse(item, out _, out var error)) r.AddError("--toleration: " + error);
        });
    }

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _namespace, _context, _kubeconfig, _executorImage, _fetchImage, _serviceAccount, _cpu, _memory, _cpuLimit, _memoryLimit, _nodeSelector, _toleration, _deadline, _maxJobs, _retries, _pushSecret, _pushSecretFromLocal, _emit })
            command.Options.Add(option);
    }

    /// <summary>How the cluster is reached; the Jobs' settings come from <see cref="ReadSettings"/> and the script.</summary>
    public KubernetesOptions Read(ParseResult result) => new()
    {
        Context = result.GetValue(_context),
        KubeconfigPath = result.GetValue(_kubeconfig),
        ContextFetchImage = result.GetValue(_fetchImage),
        EmitManifestsDirectory = result.GetValue(_emit) is { } emit ? Path.GetFullPath(emit) : null,
        PushSecretFromLocal = result.GetValue(_pushSecretFromLocal),
    };

    /// <summary>The Jobs' settings given on the command line (null where a flag was not given).</summary>
    public KubernetesSettings ReadSettings(ParseResult result) => new()
    {
        Namespace = result.GetValue(_namespace),
        ExecutorImage = result.GetValue(_executorImage),
        ServiceAccount = result.GetValue(_serviceAccount),
        Cpu = result.GetValue(_cpu),
        Memory = result.GetValue(_memory),
        CpuLimit = result.GetValue(_cpuLimit),
        MemoryLimit = result.GetValue(_memoryLimit),
        NodeSelector = (result.GetValue(_nodeSelector) ?? []).Select(s => s.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal),
        Tolerations = (result.GetValue(_toleration) ?? []).Select(t => KubernetesToleration.TryParse(t, out var toleration, out _) ? toleration : null).OfType<KubernetesToleration>().ToList(),
        Deadline = result.GetValue(_deadline) is { } deadline && GoDuration.TryParse(deadline, out var duration) ? duration : null,
        MaxParallelJobs = result.GetValue(_maxJobs),
        Retries = result.GetValue(_retries),
        PushSecret = result.GetValue(_pushSecret),
    };
}
