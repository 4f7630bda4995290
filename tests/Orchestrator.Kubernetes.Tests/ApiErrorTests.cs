using k8s;
using k8s.Models;
using Orchestrator.Kubernetes.Tests.Emulator;

namespace Orchestrator.Kubernetes.Tests;

/// <summary>The API server's Status answers (409, 422, 404, 403) through KubernetesClient, as the backend words them.</summary>
public sealed class ApiErrorTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("orchestrator-k8s-errors-").FullName;
    private KubernetesApiEmulator _emulator = null!;
    private IKubernetes _client = null!;

    public async Task InitializeAsync()
    {
        _emulator = await KubernetesApiEmulator.StartAsync(new KubeletOptions { Images = new Dictionary<string, IReadOnlyList<string>>(), WorkRoot = _root });
        _client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_emulator.WriteKubeconfig(Path.Combine(_root, "kubeconfig"), "errors")));
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _emulator.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private static V1Job Job(string name, string? restartPolicy = "Never") => new()
    {
        ApiVersion = "batch/v1", Kind = "Job",
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1JobSpec { Template = new V1PodTemplateSpec { Spec = new V1PodSpec { RestartPolicy = restartPolicy, Containers = [new V1Container { Name = "c", Image = "none:1" }] } } },
    };

    private Task<V1Job> CreateAsync(V1Job job) =>
        KubernetesApiCall.RunAsync("create", "jobs", "errors", () => _client.BatchV1.CreateNamespacedJobAsync(job, "errors"));

    [Fact]
    public async Task A_job_that_exists_already_is_a_conflict_that_points_at_cleanup()
    {
        await CreateAsync(Job("twice"));
        var error = await Assert.ThrowsAsync<OrchestratorException>(() => CreateAsync(Job("twice")));
        Assert.Contains("it already exists (jobs.batch \"twice\" already exists)", error.Message);
        Assert.Contains("k8s cleanup", error.Message);
    }

    [Fact]
    public async Task An_invalid_job_quotes_the_field_the_server_rejected()
    {
        var error = await Assert.ThrowsAsync<OrchestratorException>(() => CreateAsync(Job("always", restartPolicy: "Always")));
        Assert.Contains("rejected the jobs object", error.Message);
        Assert.Contains("spec.template.spec.restartPolicy", error.Message);
    }

    [Fact]
    public async Task A_forbidden_watch_names_the_verb()
    {
        _emulator.Deny("watch", "pods");
        var watch = new ResourceWatch<V1Pod, V1PodList>("pods", "errors",
            ct => _client.CoreV1.ListNamespacedPodAsync("errors", cancellationToken: ct),
            (version, onError, ct) => _client.CoreV1.WatchListNamespacedPodAsync("errors", resourceVersion: version, onError: onError, cancellationToken: ct));
        var error = await Assert.ThrowsAsync<OrchestratorException>(() => watch.RunAsync((_, _) => true, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("refused to watch pods in namespace 'errors' (403 Forbidden: pods is forbidden: User", error.Message);
        Assert.Contains("Grant the verb 'watch' on 'pods'", error.Message);
    }

    [Fact]
    public async Task Cleanup_of_a_namespace_without_managed_jobs_deletes_nothing()
    {
        await CreateAsync(Job("unmanaged"));
        Assert.Empty(await KubernetesCleanup.RunAsync(_client, "errors", null, CancellationToken.None));
        Assert.NotNull(_emulator.Store.Get(ResourceKind.Find("batch", "v1", "jobs")!, "errors", "unmanaged"));
    }
}
