using k8s;
using k8s.Models;
using Orchestrator.Planning;

namespace Orchestrator.Kubernetes;

/// <summary>
/// Follows one node's Job to its end: watches its pod and the Job itself, streams the executor's log into the
/// node's output as it is written, and returns the image digest from the termination message — or fails with
/// the reason (an image that cannot be pulled, OOMKilled, the deadline, a non-zero exit with the last log lines).
/// </summary>
internal sealed class JobMonitor(IKubernetes client, string @namespace, KubernetesOptions options)
{
    private const int TailLines = 20;

    /// <summary>True once the pod reached Succeeded or Failed: its Job is finished and keeps the pod for inspection until its TTL.</summary>
    public bool PodEnded { get; private set; }

    public async Task<string> WaitAsync(string jobName, StageJob job, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var outcome = new TaskCompletionSource<V1Pod>(TaskCreationOptions.RunContinuationsAsynchronously);
        var tail = new LogTail(TailLines);
        Task? logs = null;
        var podDeleted = false;

        var podSelector = "job-name=" + jobName;
        var pods = new ResourceWatch<V1Pod, V1PodList>("pods", @namespace,
            ct => client.CoreV1.ListNamespacedPodAsync(@namespace, labelSelector: podSelector, cancellationToken: ct),
            (version, onError, ct) => client.CoreV1.WatchListNamespacedPodAsync(@namespace, allowWatchBookmarks: true, labelSelector: podSelector, resourceVersion: version, onError: onError, cancellationToken: ct));
        var podWatch = pods.RunAsync((type, pod) =>
        {
            if (type == WatchEventType.Deleted)
            {
                podDeleted = true; // why is decided below, from the Job (e.g. the controller stops pods past the deadline)
                return outcome.TrySetResult(pod);
            }
            if (logs is null && PodFailure.ExecutorStarted(pod))
                logs = FollowLogAsync(pod.Metadata.Name, job, tail, stop.Token);
            if (PodFailure.Stuck(pod, options) is { } stuck)
                return outcome.TrySetException(new OrchestratorException(stuck));
            if (pod.Status?.Phase is not ("Succeeded" or "Failed")) return false;
            PodEnded = true;
            return outcome.TrySetResult(pod);
        }, stop.Token);

        var jobSelector = "metadata.name=" + jobName;
        var jobs = new ResourceWatch<V1Job, V1JobList>("jobs", @namespace,
            ct => client.BatchV1.ListNamespacedJobAsync(@namespace, fieldSelector: jobSelector, cancellationToken: ct),
            (version, onError, ct) => client.BatchV1.WatchListNamespacedJobAsync(@namespace, allowWatchBookmarks: true, fieldSelector: jobSelector, resourceVersion: version, onError: onError, cancellationToken: ct));
        var jobWatch = jobs.RunAsync((type, current) =>
        {
            if (type == WatchEventType.Deleted)
                return outcome.TrySetException(new OrchestratorException($"Job {jobName} was deleted before it finished (by `k8s cleanup` or by someone else)"));
            return DeadlineExceeded(current) && outcome.TrySetException(DeadlineError());
        }, stop.Token);

        _ = podWatch.ContinueWith(t => outcome.TrySetException(t.Exception!.InnerExceptions), TaskContinuationOptions.OnlyOnFaulted);
        _ = jobWatch.ContinueWith(t => outcome.TrySetException(t.Exception!.InnerExceptions), TaskContinuationOptions.OnlyOnFaulted);
        await using var registration = cancellationToken.Register(() => outcome.TrySetCanceled(cancellationToken));

        try
        {
            var pod = await outcome.Task.ConfigureAwait(false);
            if (logs is not null)
            {
                try
                {
                    await logs.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false); // the log ends with the container
                }
                catch (TimeoutException)
                {
                    job.Log("(the rest of the executor's log did not arrive within 30 s of its end)");
                }
            }
            if (pod.Status.Phase == "Succeeded" && !podDeleted)
                return Digest(pod, jobName);
            // The Job controller stops a pod that outlives activeDeadlineSeconds; say so rather than "exit 137".
            var current = await KubernetesApiCall.RunAsync("get", "jobs", @namespace, () => client.BatchV1.ReadNamespacedJobAsync(jobName, @namespace, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (DeadlineExceeded(current)) throw DeadlineError();
            if (podDeleted) throw new OrchestratorException($"the pod {pod.Metadata.Name} of Job {jobName} was deleted before it finished (evicted, or deleted by someone)");
            var lines = tail.Lines;
            if (logs is null) lines = await InitLogTailAsync(pod, cancellationToken).ConfigureAwait(false);
            throw new OrchestratorException(PodFailure.Describe(pod, lines));
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(podWatch, jobWatch).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    private OrchestratorException DeadlineError() =>
        new($"the node did not finish within --node-deadline {options.NodeDeadline} (DeadlineExceeded); the Job was stopped. Raise --node-deadline or make the stage faster");

    private static bool DeadlineExceeded(V1Job job) =>
        job.Status?.Conditions?.Any(c => c.Type is "Failed" or "FailureTarget" && c.Status == "True" && c.Reason == "DeadlineExceeded") == true;

    private static string Digest(V1Pod pod, string jobName)
    {
        var message = pod.Status.ContainerStatuses?.FirstOrDefault(s => s.Name == JobManifest.ExecutorContainer)?.State?.Terminated?.Message?.Trim();
        if (message is null || !Oci.Digest.TryParse(message.Split('\n')[0].Trim(), out var digest))
            throw new OrchestratorException($"Job {jobName} succeeded but its termination message holds no image digest ('{message}'); the executor must write --digest-file={ExecutorArguments.TerminationLog}");
        return digest.ToString();
    }

    private async Task FollowLogAsync(string pod, StageJob job, LogTail tail, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await client.CoreV1.ReadNamespacedPodLogAsync(pod, @namespace, container: JobManifest.ExecutorContainer, follow: true, cancellationToken: cancellationToken).ConfigureAwait(false);
            using var reader = new StreamReader(stream);
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                tail.Add(line);
                job.Log(line);
            }
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            job.Log($"(the log of pod {pod} could not be followed: {error.Message})");
        }
    }

    private async Task<IReadOnlyList<string>> InitLogTailAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await client.CoreV1.ReadNamespacedPodLogAsync(pod.Metadata.Name, @namespace, container: JobManifest.FetchContainer, tailLines: TailLines, cancellationToken: cancellationToken).ConfigureAwait(false);
            using var reader = new StreamReader(stream);
            return (await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            return [];
        }
    }

    /// <summary>The last lines of a log, for failure messages.</summary>
    private sealed class LogTail(int size)
    {
        private readonly Queue<string> _lines = new();

        public void Add(string line)
        {
            lock (_lines)
            {
                _lines.Enqueue(line);
                if (_lines.Count > size) _lines.Dequeue();
            }
        }

        public IReadOnlyList<string> Lines
        {
            get { lock (_lines) return _lines.ToList(); }
        }
    }
}
