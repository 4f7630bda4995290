using System.CommandLine;
using Orchestrator.Dockerfiles;
using Orchestrator.Kubernetes;

namespace Orchestrator.Cli;

/// <summary>The options of <c>--backend kubernetes</c>, read into <see cref="KubernetesOptions"/>.</summary>
internal sealed class KubernetesFlags
{
    private readonly Option<string?> _namespace = new("--namespace") { Description = "kubernetes backend: namespace of the Jobs (default: the kubeconfig context's, else default)." };
    private readonly Option<string?> _context = new("--kube-context") { Description = "kubernetes backend: kubeconfig context (default: the current one)." };
    private readonly Option<string?> _kubeconfig = new("--kubeconfig") { Description = "kubernetes backend: kubeconfig file (default: KUBECONFIG, ~/.kube/config, or the pod's service account)." };
    private readonly Option<string?> _executorImage = new("--executor-image") { Description = "kubernetes backend: image of the executor (this project's, built by the repository's build.csx, or an upstream Kaniko image); required." };
    private readonly Option<string?> _fetchImage = new("--context-fetch-image") { Description = "kubernetes backend: image of the init container that fetches the context (default: --executor-image; must be this project's)." };
    private readonly Option<string?> _serviceAccount = new("--service-account") { Description = "kubernetes backend: service account of the build pods." };
    private readonly Option<string> _deadline = new("--node-deadline") { Description = "kubernetes backend: longest a node's Job may run (Go duration, e.g. 30m).", DefaultValueFactory = _ => "1h" };
    private readonly Option<int> _maxJobs = new("--max-parallel-jobs") { Description = "kubernetes backend: Jobs of this build at once.", DefaultValueFactory = _ => 8 };
    private readonly Option<int> _retries = new("--retries") { Description = "kubernetes backend: new Jobs for a failed node before it fails.", DefaultValueFactory = _ => 0 };
    private readonly Option<string> _pushSecret = new("--push-secret") { Description = "kubernetes backend: kubernetes.io/dockerconfigjson Secret mounted at /kaniko/.docker/config.json ('' for none).", DefaultValueFactory = _ => "regcred" };
    private readonly Option<string?> _emit = new("--emit-manifests") { Description = "kubernetes backend: also write every object created as YAML into DIR." };

    public KubernetesFlags()
    {
        _maxJobs.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--max-parallel-jobs must be at least 1"); });
        _retries.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--retries must be 0 or more"); });
        _deadline.Validators.Add(r =>
        {
            var value = r.GetValueOrDefault<string>() ?? "";
            if (!GoDuration.TryParse(value, out var duration) || duration <= TimeSpan.Zero)
                r.AddError($"--node-deadline '{value}' is not a positive duration such as 45m or 2h");
        });
    }

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _namespace, _context, _kubeconfig, _executorImage, _fetchImage, _serviceAccount, _deadline, _maxJobs, _retries, _pushSecret, _emit })
            command.Options.Add(option);
    }

    public KubernetesOptions Read(ParseResult result) => new()
    {
        Namespace = result.GetValue(_namespace),
        Context = result.GetValue(_context),
        KubeconfigPath = result.GetValue(_kubeconfig),
        ExecutorImage = result.GetValue(_executorImage) ?? "",
        ContextFetchImage = result.GetValue(_fetchImage),
        ServiceAccount = result.GetValue(_serviceAccount),
        NodeDeadline = GoDuration.TryParse(result.GetValue(_deadline) ?? "", out var deadline) ? deadline : TimeSpan.FromHours(1),
        MaxParallelJobs = result.GetValue(_maxJobs),
        Retries = result.GetValue(_retries),
        PushSecret = result.GetValue(_pushSecret) is { Length: > 0 } secret ? secret : null,
        EmitManifestsDirectory = result.GetValue(_emit) is { } emit ? Path.GetFullPath(emit) : null,
    };
}
