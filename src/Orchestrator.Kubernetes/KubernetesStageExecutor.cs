using k8s;
using k8s.Models;
using Orchestrator.Dockerfiles;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Registry;
using Orchestrator.Planning;
using Orchestrator.Recipes;

namespace Orchestrator.Kubernetes;

/// <summary>
/// Builds each graph node as a <c>batch/v1</c> Job running a Kaniko-compatible executor. The node is rendered as
/// a Dockerfile (stages it reads are named by digest), packed with its context into a content-addressed blob in
/// the cache repo, and fetched by the pod's init container; the executor pushes the image and writes its digest
/// to the termination message. Nodes the scheduler runs at once become parallel Jobs.
/// </summary>
public sealed class KubernetesStageExecutor : IStageExecutor, IDisposable
{
    private readonly KubernetesOptions _options;
    private readonly IKubernetes _client;
    private readonly string _namespace;
    private readonly RegistryClientPool _registries;
    private readonly SemaphoreSlim _jobSlots;
    private readonly ManifestEmitter? _emitter;
    private readonly Lazy<Task> _secretCheck;
    private readonly CachedNodeAssembler? _cached;
    private readonly Lazy<Task> _certificates;

    public KubernetesStageExecutor(KubernetesOptions options, IKubernetes client, string @namespace)
    {
        Validate(options);
        _options = options;
        _client = client;
        _namespace = @namespace;
        BuildId = options.BuildId ?? KubernetesNames.NewBuildId();
        _registries = new RegistryClientPool(options.Registry);
        _jobSlots = new SemaphoreSlim(options.MaxParallelJobs);
        _emitter = options.EmitManifestsDirectory is { } folder ? new ManifestEmitter(folder) : null;
        _secretCheck = new Lazy<Task>(CheckPushSecretAsync);
        _certificates = new Lazy<Task>(CreateCertificatesAsync);
        if (options.CacheLookup is { } cache && OperatingSystem.IsLinux()) _cached = new CachedNodeAssembler(cache, options.BuildArgs);
    }

    /// <summary>Creates the executor with the client the options describe (kubeconfig or in-cluster).</summary>
    public static KubernetesStageExecutor Connect(KubernetesOptions options)
    {
        Validate(options);
        var (client, @namespace) = KubernetesConnection.Open(options);
        return new KubernetesStageExecutor(options, client, @namespace);
    }

    private static void Validate(KubernetesOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ExecutorImage))
            throw new OrchestratorException("--backend kubernetes needs --executor-image REGISTRY/REPOSITORY:TAG: this project's executor image (build it with the repository's build.csx) or an upstream Kaniko image, pullable by the cluster");
        if (options.ExecutorFetchesContext && options.ExecutorImage.Contains("kaniko-project/executor", StringComparison.OrdinalIgnoreCase))
            throw new OrchestratorException($"--executor-image {options.ExecutorImage} is Kaniko's executor, which cannot read the build context from the registry; pass --context-fetch-image with this project's executor image, whose init container unpacks the context for it");
        if (options.MaxParallelJobs < 1) throw new OrchestratorException("--max-parallel-jobs must be at least 1");
        if (options.Retries < 0) throw new OrchestratorException("--retries must be 0 or more");
        if (options.NodeDeadline <= TimeSpan.Zero) throw new OrchestratorException("--node-deadline must be positive, e.g. 30m or 1h");
        foreach (var (flag, parameter, quantity) in new[] { ("--cpu", "cpu", options.CpuRequest), ("--memory", "memory", options.MemoryRequest), ("--cpu-limit", "cpuLimit", options.CpuLimit), ("--memory-limit", "memoryLimit", options.MemoryLimit) })
            if (quantity is not null && !JobManifest.IsQuantity(quantity))
                throw new OrchestratorException($"{flag} (Resources({parameter}: …) in the script) '{quantity}' is not a Kubernetes quantity; write CPU as 500m or 2, memory as 512Mi or 2Gi");
    }

    /// <summary>The id in the labels and names of this build's Jobs.</summary>
    public string BuildId { get; }

    public string Namespace => _namespace;

    public void Dispose()
    {
        if (_certificates.IsValueCreated) DeleteAsync("configmaps", KubernetesNames.CertificatesConfigMap(BuildId)).GetAwaiter().GetResult();
        _client.Dispose();
        _registries.Dispose();
        if (OperatingSystem.IsLinux()) _cached?.Dispose();
        _jobSlots.Dispose();
    }

    public async Task<StageResult> ExecuteAsync(StageJob job, CancellationToken cancellationToken)
    {
        var stage = job.Node.Stage;
        if (stage.Outputs.Count > 0)
            throw new OrchestratorException($"{stage.Kind} '{stage.Name}': local outputs ({string.Join(", ", stage.Outputs)}) cannot be written by a Job in the cluster; drop --output or use --backend local");
        var transfer = TransferRepository(stage);
        var dockerfile = RenderDockerfile(stage, job.Inputs);

        var destinations = _options.Push && stage.Destinations.Count > 0
            ? stage.Destinations.ToList()
            : [transfer.WithTag($"stage-{BuildId}-{KubernetesNames.NodeLabelValue(stage.Name)}").ToString()];
        if (_cached is not null && OperatingSystem.IsLinux() && await _cached.TryAssembleAsync(job, dockerfile, destinations, cancellationToken).ConfigureAwait(false) is { } cached)
        {
            job.Log("every step is cached: image assembled from the cache, no Job created");
            return new KubernetesStageResult(stage.Name, $"{ImageReference.Parse(destinations[0]).Name}@{cached.ManifestDigest}", JobName: "")
            {
                ManifestDigest = cached.ManifestDigest,
                Published = _options.Push ? cached.Published : [],
                FromCache = true,
                CachedSteps = cached.CachedSteps,
                Args = KubernetesStageResult.ArgsAtEnd(stage, job.Inputs),
            };
        }

        var archive = Path.Combine(Path.GetTempPath(), $"orchestrator-context-{Guid.NewGuid():N}.tar.gz");
        Digest contextDigest;
        long contextSize;
        try
        {
            (contextDigest, contextSize) = await BuildContextArchive.WriteAsync(stage, dockerfile, archive, cancellationToken).ConfigureAwait(false);
            var outcome = await _registries.For(transfer).UploadBlobAsync(transfer.Repository, new Descriptor(MediaTypes.OciLayerGzip, contextDigest, contextSize),
                _ => Task.FromResult<Stream>(File.OpenRead(archive)), cancellationToken: cancellationToken).ConfigureAwait(false);
            job.Log($"build context {contextDigest.Short} ({contextSize} bytes) in {transfer.Name}: {outcome}");
        }
        finally
        {
            File.Delete(archive);
        }

        var contextBlob = $"{transfer.Name}@{contextDigest}";
        var request = new JobRequest(BuildId, stage.Name, "", contextBlob, contextSize, ExecutorArguments.For(stage, destinations, contextBlob, _options));

        await _secretCheck.Value.ConfigureAwait(false);
        if (_options.RegistryCertificates.Count > 0) await _certificates.Value.ConfigureAwait(false);
        await _jobSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
        string? localSecret = null;
        try
        {
            if (_options.PushSecretFromLocal)
                localSecret = await CreateLocalPushSecretAsync(job, RegistriesOf(stage, job.Inputs, destinations, transfer), cancellationToken).ConfigureAwait(false);
            for (var attempt = 0; ; attempt++)
            {
                var jobName = KubernetesNames.JobName(BuildId, stage.Name, attempt);
                try
                {
                    var digest = await RunJobAsync(request with { JobName = jobName }, job, localSecret, cancellationToken).ConfigureAwait(false);
                    var published = _options.Push ? stage.Destinations.Select(d => $"{d}@{digest}").ToList() : [];
                    return new KubernetesStageResult(stage.Name, $"{ImageReference.Parse(destinations[0]).Name}@{digest}", jobName)
                    {
                        ManifestDigest = digest,
                        Published = published,
                        Args = KubernetesStageResult.ArgsAtEnd(stage, job.Inputs),
                    };
                }
                catch (OrchestratorException error) when (attempt < _options.Retries && !cancellationToken.IsCancellationRequested)
                {
                    job.Log($"Job {jobName} failed ({error.Message.Split('\n')[0]}); trying again ({attempt + 1} of {_options.Retries})");
                }
            }
        }
        finally
        {
            if (localSecret is not null) await DeleteAsync("secrets", localSecret).ConfigureAwait(false);
            _jobSlots.Release();
        }
    }

    /// <summary>Every registry the node's pod talks to: its base and the stages it reads, the context blob's and cache repo's, its destinations.</summary>
    private static IEnumerable<string> RegistriesOf(StageRecipe stage, IReadOnlyDictionary<string, StageResult> inputs, IEnumerable<string> destinations, ImageReference transfer)
    {
        var images = new List<string>(destinations) { transfer.ToString() };
        if (stage.CacheRepo is { } cacheRepo) images.Add(cacheRepo);
        var sources = stage.Instructions.OfType<CopyInstruction>().Select(c => c.From).Append(stage.Base);
        foreach (var source in sources)
        {
            if (source is ImageSource.Registry registry) images.Add(registry.Reference);
            if (source is ImageSource.Stage read && inputs.TryGetValue(read.Name, out var input) && input is KubernetesStageResult built) images.Add(built.ImageReference);
        }
        return images.Select(i => ImageReference.TryParse(i, out var reference, out _) ? reference.Registry : null).OfType<string>();
    }

    /// <summary>The node's own dockerconfigjson Secret from this machine's Docker credentials; its name.</summary>
    private async Task<string> CreateLocalPushSecretAsync(StageJob job, IEnumerable<string> registries, CancellationToken cancellationToken)
    {
        var name = KubernetesNames.LocalPushSecret(BuildId, job.Node.Stage.Name);
        var (secret, withCredentials) = await LocalPushSecret.CreateAsync(name, BuildId, job.Node.Stage.Name, registries, _options.Registry.Credentials, _namespace, cancellationToken).ConfigureAwait(false);
        await KubernetesApiCall.RunAsync("create", "secrets", _namespace, () => _client.CoreV1.CreateNamespacedSecretAsync(secret, _namespace, cancellationToken: cancellationToken)).ConfigureAwait(false);
        job.Log(withCredentials.Count > 0
            ? $"Secret {name} created from the local Docker config with credentials for {string.Join(", ", withCredentials)}"
            : $"Secret {name} created with no credentials: the local Docker config has none for the registries of this node (run `docker login REGISTRY`); the pod reaches them anonymously");
        return name;
    }

    private async Task CreateCertificatesAsync()
    {
        var map = JobManifest.Certificates(BuildId, _options, _namespace);
        if (_emitter is not null) await _emitter.WriteAsync(map, CancellationToken.None).ConfigureAwait(false);
        await KubernetesApiCall.RunAsync("create", "configmaps", _namespace, () => _client.CoreV1.CreateNamespacedConfigMapAsync(map, _namespace)).ConfigureAwait(false);
    }

    /// <summary>Deletes a Secret or ConfigMap of this build; best effort (the build is ending; a leftover carries the build's labels for `kubectl delete -l`).</summary>
    private async Task DeleteAsync(string resource, string name)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            if (resource == "secrets") await _client.CoreV1.DeleteNamespacedSecretAsync(name, _namespace, cancellationToken: timeout.Token).ConfigureAwait(false);
            else await _client.CoreV1.DeleteNamespacedConfigMapAsync(name, _namespace, cancellationToken: timeout.Token).ConfigureAwait(false);
        }
        catch (Exception error) when (error is k8s.Autorest.HttpOperationException or HttpRequestException or OperationCanceledException)
        {
        }
    }

    /// <summary>Waits for the cache work of the nodes assembled here (memos of copied content pushed to the cache repo).</summary>
    public Task CompleteAsync(IBuildObserver observer, CancellationToken cancellationToken) =>
        _cached is not null && OperatingSystem.IsLinux() ? _cached.CompleteAsync(observer, cancellationToken) : Task.CompletedTask;

    private async Task<string> RunJobAsync(JobRequest request, StageJob job, string? localSecret, CancellationToken cancellationToken)
    {
        var manifest = JobManifest.Create(request, localSecret is null ? _options : _options with { PushSecret = localSecret }, _namespace);
        if (_emitter is not null) await _emitter.WriteAsync(manifest, cancellationToken).ConfigureAwait(false);
        var monitor = new JobMonitor(_client, _namespace, _options);
        var created = false;
        try
        {
            await KubernetesApiCall.RunAsync("create", "jobs", _namespace, () => _client.BatchV1.CreateNamespacedJobAsync(manifest, _namespace, cancellationToken: cancellationToken)).ConfigureAwait(false);
            created = true;
            job.Log($"Job {request.JobName} created in namespace {_namespace}");
            return await monitor.WaitAsync(request.JobName, job, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Also when the create itself was cancelled: the server may have made the Job already.
            await DeleteJobAsync(request.JobName).ConfigureAwait(false);
            throw;
        }
        catch (OrchestratorException) when (created && !monitor.PodEnded)
        {
            // A pod that cannot start (ImagePullBackOff, a missing secret) would wait until the deadline: remove it.
            // A pod that ran and failed stays, with its Job, for `kubectl logs` until ttlSecondsAfterFinished.
            await DeleteJobAsync(request.JobName).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Deletes a Job and, in the background, its pods; best effort, as the build is already ending.</summary>
    private async Task DeleteJobAsync(string jobName)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _client.BatchV1.DeleteNamespacedJobAsync(jobName, _namespace, new V1DeleteOptions { PropagationPolicy = "Background" }, cancellationToken: timeout.Token).ConfigureAwait(false);
        }
        catch (Exception error) when (error is k8s.Autorest.HttpOperationException or HttpRequestException or OperationCanceledException)
        {
            // Left for `dotnet orchestrate k8s cleanup` and ttlSecondsAfterFinished.
        }
    }

    private async Task CheckPushSecretAsync()
    {
        if (_options.PushSecretFromLocal || _options.PushSecret is not { } name) return;
        try
        {
            var secret = await _client.CoreV1.ReadNamespacedSecretAsync(name, _namespace).ConfigureAwait(false);
            if (secret.Type != "kubernetes.io/dockerconfigjson")
                throw new OrchestratorException($"Secret '{name}' in namespace '{_namespace}' has type '{secret.Type}', not kubernetes.io/dockerconfigjson; create it with `kubectl create secret docker-registry {name} ...` (see docs/kubernetes.md)");
        }
        catch (k8s.Autorest.HttpOperationException error) when (error.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            throw new OrchestratorException($"the push secret '{name}' does not exist in namespace '{_namespace}'; create it with `kubectl -n {_namespace} create secret docker-registry {name} --docker-server=... --docker-username=... --docker-password=...`, name another with --push-secret, or pass --push-secret= for anonymous registries", error);
        }
        catch (k8s.Autorest.HttpOperationException error)
        {
            throw KubernetesApiCall.Translate(error, "get", "secrets", _namespace);
        }
    }

    /// <summary>
    /// The node's Dockerfile: first one <c>FROM image@digest AS name</c> line per stage it reads, then the stage, so
    /// FROM and COPY --from keep the stage's name (an image's history records <c>COPY --from=name</c>, as a
    /// local build's does) while the executor reads each input by digest.
    /// </summary>
    internal static string RenderDockerfile(StageRecipe stage, IReadOnlyDictionary<string, StageResult> inputs)
    {
        var read = new List<string>();
        if (stage.Base is ImageSource.Stage from) read.Add(from.Name);
        read.AddRange(stage.Instructions.OfType<CopyInstruction>().Select(c => c.From).OfType<ImageSource.Stage>().Select(s => s.Name));
        // The stage a node is built FROM passes its ARG values on (the directive the executor reads; ARG lines would add history).
        var stubs = read.Distinct(StringComparer.Ordinal).Select(name => inputs.TryGetValue(name, out var input) && input is KubernetesStageResult built
            ? new StageRecipe(name, false, new ImageSource.Registry(built.ImageReference), [], stage.Location) { InheritedArgs = stage.Base is ImageSource.Stage from && from.Name == name ? built.Args : [] }
            : throw new OrchestratorException($"{stage.Kind} '{stage.Name}' reads stage '{name}', which was not built by the kubernetes backend in this run"));
        return DockerfileRenderer.Render([.. stubs, stage], heredocs: false);
    }

    /// <summary>Where the node's context blob and (for stages) its image go: the cache repo, else the first destination's repository.</summary>
    private static ImageReference TransferRepository(StageRecipe stage)
    {
        var repository = stage.CacheRepo ?? stage.Destinations.FirstOrDefault()
            ?? throw new OrchestratorException($"{stage.Location}: {stage.Kind} '{stage.Name}' has no cache repo; the kubernetes backend keeps build contexts and intermediate images there. Add .CacheRepo(\"REGISTRY/REPO\") to the recipe or pass --cache-repo");
        return ImageReference.TryParse(repository, out var reference, out var error)
            ? reference with { Tag = null, Digest = null }
            : throw new OrchestratorException($"{stage.Kind} '{stage.Name}': cache repo '{repository}' is not a repository reference: {error}");
    }
}
