using System.Text.Json.Nodes;
using Orchestrator.Cli;
using Orchestrator.Kubernetes.Tests.Emulator;

namespace Orchestrator.Kubernetes.Tests;

/// <summary>What the user reads when a node's Job cannot finish, and what is left in the cluster after a cancel.</summary>
public sealed class JobFailureTests(KubernetesTestEnvironment env) : IClassFixture<KubernetesTestEnvironment>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orchestrator-k8s-fail-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Script(string run)
    {
        var script = Path.Combine(_folder, "build.csx");
        File.WriteAllText(script, $$"""
            Image("one").From("{{env.BaseImage}}").Run("{{run}}").CacheRepo("{{env.CacheRepo}}").Destination("{{env.Registry.Address}}/team/one:test");
            """);
        return script;
    }

    private Task<(int Code, string Out, string Err)> BuildAsync(string script, params string[] more) =>
        KubernetesTestEnvironment.OrchestrateAsync([script, "--progress", "plain", "--backend", "kubernetes", "--kubeconfig", env.Kubeconfig,
            "--cache-dir", Path.Combine(_folder, "cache"), .. more, .. more.Contains("--executor-image") ? Array.Empty<string>() : ["--executor-image", KubernetesTestEnvironment.ExecutorImage]]);

    [Fact]
    public async Task Without_an_executor_image_the_usage_error_says_what_to_pass()
    {
        var (code, _, errors) = await KubernetesTestEnvironment.OrchestrateAsync(Script("true"), "--backend", "kubernetes", "--kubeconfig", env.Kubeconfig);
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("--backend kubernetes needs --executor-image REGISTRY/REPOSITORY:TAG", errors);
    }

    [Fact]
    public async Task A_kaniko_executor_image_without_a_context_fetch_image_is_refused_before_any_job()
    {
        var jobs = ResourceKind.Find("batch", "v1", "jobs")!;
        var before = env.Emulator.Store.List(jobs, KubernetesTestEnvironment.Namespace).Items.Count;
        var (code, _, errors) = await BuildAsync(Script("true"), "--executor-image", "gcr.io/kaniko-project/executor:v1.20.0");
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("cannot read the build context from the registry; pass --context-fetch-image", errors);
        Assert.Equal(before, env.Emulator.Store.List(jobs, KubernetesTestEnvironment.Namespace).Items.Count);
    }

    [Fact]
    public async Task The_executor_names_a_context_blob_the_registry_does_not_have()
    {
        var blob = $"{env.Registry.Address}/team/cache@sha256:{new string('0', 64)}";
        var (code, _, errors) = await KubernetesTestEnvironment.OrchestrateAsync("executor", "--context=oci-blob://" + blob, "--context-sub-path=context",
            "--dockerfile=../Dockerfile", "--no-push", "--insecure-registry=" + env.Registry.Address, "--cache-dir", Path.Combine(_folder, "cache"));
        Assert.NotEqual(ExitCodes.Ok, code);
        Assert.Contains($"build context blob {blob} is not in the registry", errors);
    }

    [Fact]
    public async Task A_missing_kubeconfig_is_named()
    {
        var missing = Path.Combine(_folder, "no-such-kubeconfig");
        var (code, _, errors) = await KubernetesTestEnvironment.OrchestrateAsync(Script("true"), "--backend", "kubernetes", "--kubeconfig", missing, "--executor-image", "x/y:z");
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains($"--kubeconfig '{missing}' does not exist", errors);
    }

    [Fact]
    public async Task A_failing_step_fails_the_node_with_the_exit_code_and_the_last_log_lines()
    {
        var (code, output, errors) = await BuildAsync(Script("echo the-step-says-goodbye && exit 3"));
        Assert.Equal(ExitCodes.BuildFailed, code);
        Assert.Contains("one: the executor exited with code", errors);
        Assert.Contains("last lines of the log:", errors);
        Assert.Contains("the-step-says-goodbye", errors);
        Assert.Contains("[one] ", output);
    }

    [Fact]
    public async Task An_executor_image_that_cannot_be_pulled_is_named_with_the_flag_to_fix()
    {
        var (code, _, errors) = await BuildAsync(Script("true"), "--executor-image", "registry.test/nobody/executor:missing", "--context-fetch-image", KubernetesTestEnvironment.ExecutorImage);
        Assert.Equal(ExitCodes.BuildFailed, code);
        Assert.Contains("image 'registry.test/nobody/executor:missing' cannot be pulled (ImagePullBackOff", errors);
        Assert.Contains("--executor-image", errors);
        // The stuck Job is not left waiting for its deadline.
        var jobs = env.Emulator.Store.List(ResourceKind.Find("batch", "v1", "jobs")!, KubernetesTestEnvironment.Namespace).Items;
        Assert.DoesNotContain(jobs, j => j.ToJsonString().Contains("registry.test/nobody/executor:missing", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_node_past_its_deadline_fails_with_DeadlineExceeded()
    {
        var (code, _, errors) = await BuildAsync(Script("sleep 60"), "--node-deadline", "3s");
        Assert.Equal(ExitCodes.BuildFailed, code);
        Assert.Contains("DeadlineExceeded", errors);
        Assert.Contains("--node-deadline", errors);
    }

    [Fact]
    public async Task Without_rights_to_create_jobs_the_error_names_the_verb_and_the_resource()
    {
        env.Emulator.Deny("create", "jobs");
        try
        {
            var (code, _, errors) = await BuildAsync(Script("true"));
            Assert.Equal(ExitCodes.BuildFailed, code);
            Assert.Contains("refused to create jobs in namespace 'builds' (403 Forbidden", errors);
            Assert.Contains("Grant the verb 'create' on 'jobs'", errors);
            Assert.Contains("examples/kubernetes/rbac.yaml", errors);
        }
        finally
        {
            env.Emulator.Allow("create", "jobs");
        }
    }

    [Fact]
    public async Task A_missing_push_secret_is_named_with_the_command_that_creates_it()
    {
        var (code, _, errors) = await BuildAsync(Script("true"), "--push-secret", "nosuch");
        Assert.Equal(ExitCodes.BuildFailed, code);
        Assert.Contains("the push secret 'nosuch' does not exist in namespace 'builds'", errors);
        Assert.Contains("create secret docker-registry nosuch", errors);
    }

    [Fact]
    public async Task Cancelling_the_build_deletes_its_jobs_and_stops_their_pods()
    {
        var running = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChange(StoreEvent change)
        {
            if (change.Kind.Plural == "pods" && change.Object["status"]?["containerStatuses"]?[0]?["state"]?["running"] is not null)
                running.TrySetResult(change.Object["metadata"]!["labels"]!["job-name"]!.GetValue<string>());
        }
        env.Emulator.Store.Changed += OnChange;
        try
        {
            using var cancel = new CancellationTokenSource();
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var build = CliApp.RunAsync([Script("sleep 60"), "--progress", "plain", "--backend", "kubernetes", "--kubeconfig", env.Kubeconfig,
                "--executor-image", KubernetesTestEnvironment.ExecutorImage, "--cache-dir", Path.Combine(_folder, "cache")], stdout, stderr, cancel.Token);
            var job = await running.Task.WaitAsync(TimeSpan.FromMinutes(2));
            await cancel.CancelAsync();
            Assert.Equal(ExitCodes.Cancelled, await build);

            var jobs = ResourceKind.Find("batch", "v1", "jobs")!;
            Assert.Null(env.Emulator.Store.Get(jobs, KubernetesTestEnvironment.Namespace, job));
            Assert.Contains(env.Emulator.Requests, r => r.StartsWith($"DELETE /apis/batch/v1/namespaces/builds/jobs/{job}", StringComparison.Ordinal));
            Assert.Contains(env.Emulator.Kubelet.StoppedPods, p => p.StartsWith(job + "-", StringComparison.Ordinal));
            var pods = env.Emulator.Store.List(ResourceKind.Find("", "v1", "pods")!, KubernetesTestEnvironment.Namespace).Items;
            Assert.DoesNotContain(pods, p => p["metadata"]!["labels"]!["job-name"]!.GetValue<string>() == job);
        }
        finally
        {
            env.Emulator.Store.Changed -= OnChange;
        }
    }
}
