using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Orchestrator.Kubernetes.Tests.Emulator;

/// <summary>
/// The emulator's job controller and kubelet in one: a created Job gets a pod; the pod's init containers and
/// containers run as real processes (the image's entrypoint or the container's command, with its args), with
/// volumes as temporary folders (emptyDir empty, secret and configMap volumes holding their keys) and every in-pod path
/// in arguments and environment mapped onto them. The pod moves through Pending, Running and Succeeded or
/// Failed; the termination message is read from the container's terminationMessagePath; the Job gets the
/// status and conditions the real controller writes (Complete, Failed with BackoffLimitExceeded or
/// DeadlineExceeded). Deleting a Job (not orphaning) or a pod stops its processes.
/// </summary>
public sealed class EmulatedKubelet : IAsyncDisposable
{
    private static readonly ResourceKind Pods = ResourceKind.Find("", "v1", "pods")!;
    private static readonly ResourceKind Jobs = ResourceKind.Find("batch", "v1", "jobs")!;
    private static readonly ResourceKind Secrets = ResourceKind.Find("", "v1", "secrets")!;
    private static readonly ResourceKind ConfigMaps = ResourceKind.Find("", "v1", "configmaps")!;

    private readonly ObjectStore _store;
    private readonly KubeletOptions _options;
    private readonly ConcurrentDictionary<(string Ns, string Pod), CancellationTokenSource> _running = new();
    private readonly ConcurrentDictionary<(string Ns, string Pod, string Container), ContainerLog> _logs = new();
    private readonly ConcurrentBag<Task> _work = new();
    private readonly CancellationTokenSource _stopping = new();

    public EmulatedKubelet(ObjectStore store, KubeletOptions options)
    {
        _store = store;
        _options = options;
        store.Changed += OnChanged;
    }

    /// <summary>Every container that ran, with precise start and end times.</summary>
    public ConcurrentQueue<ContainerRun> Runs { get; } = new();

    /// <summary>Pods whose processes were stopped because the pod or its Job was deleted.</summary>
    public ConcurrentQueue<string> StoppedPods { get; } = new();

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        foreach (var run in _running.Values)
        {
            try
            {
                await run.CancelAsync();
            }
            catch (ObjectDisposedException)
            {
                // That pod finished meanwhile.
            }
        }
        try
        {
            await Task.WhenAll(_work).WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (Exception)
        {
            // Stopping: whatever a pod was doing no longer matters.
        }
    }

    private void OnChanged(StoreEvent change)
    {
        if (change.Kind == Jobs && change.Type == "ADDED")
            _work.Add(Task.Run(() => RunJobAsync(change.Namespace, change.Object)));
        else if (change.Kind == Pods && change.Type == "DELETED" && _running.TryGetValue((change.Namespace, Name(change.Object)), out var run))
        {
            StoppedPods.Enqueue(Name(change.Object));
            try
            {
                run.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Its processes ended meanwhile.
            }
        }
    }

    /// <summary>The garbage collector's part of a Job delete: its pods go too unless they are orphaned.</summary>
    internal void OnJobDeleted(string ns, JsonObject job, bool orphan)
    {
        var uid = job["metadata"]!["uid"]!.GetValue<string>();
        foreach (var pod in _store.List(Pods, ns).Items.Where(p => OwnedBy(p, uid)))
        {
            if (orphan) _store.Update(Pods, ns, Name(pod), p => p["metadata"]!.AsObject().Remove("ownerReferences"));
            else _store.Delete(Pods, ns, Name(pod));
        }
    }

    private async Task RunJobAsync(string ns, JsonObject job)
    {
        var jobName = Name(job);
        var uid = job["metadata"]!["uid"]!.GetValue<string>();
        var template = job["spec"]!["template"]!.AsObject();
        var podName = $"{jobName}-{KubernetesApiEmulator.RandomSuffix()}";
        var now = DateTimeOffset.UtcNow;
        UpdateJob(ns, jobName, status => { status["startTime"] = ObjectStore.Rfc3339(now); status["active"] = 1; status["ready"] = 0; });

        var podSpec = (JsonObject)template["spec"]!.DeepClone();
        podSpec["nodeName"] = "emulator-node";
        var pod = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject
            {
                ["name"] = podName,
                ["labels"] = template["metadata"]?["labels"]?.DeepClone(),
                ["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "batch/v1", ["kind"] = "Job", ["name"] = jobName, ["uid"] = uid, ["controller"] = true, ["blockOwnerDeletion"] = true }),
            },
            ["spec"] = podSpec,
            ["status"] = new JsonObject
            {
                ["phase"] = "Pending",
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "PodScheduled", ["status"] = "True", ["lastTransitionTime"] = ObjectStore.Rfc3339(now) }),
                ["initContainerStatuses"] = Statuses(podSpec["initContainers"], "PodInitializing"),
                ["containerStatuses"] = Statuses(podSpec["containers"], "PodInitializing"),
                ["startTime"] = ObjectStore.Rfc3339(now),
                ["qosClass"] = "BestEffort",
            },
        };
        using var run = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        _running[(ns, podName)] = run; // before the pod exists: a delete right after its creation must find it
        if (!_store.TryCreate(Pods, ns, pod, out _))
        {
            _running.TryRemove((ns, podName), out _);
            return;
        }

        var deadline = job["spec"]?["activeDeadlineSeconds"]?.GetValue<long>();
        using var deadlineTimer = new CancellationTokenSource();
        if (deadline is { } seconds) deadlineTimer.CancelAfter(TimeSpan.FromSeconds(seconds));
        await using var onDeadline = deadlineTimer.Token.Register(() => _work.Add(Task.Run(() => DeadlineExceeded(ns, jobName, podName))));

        var folder = Directory.CreateDirectory(Path.Combine(_options.WorkRoot, $"{ns}-{podName}")).FullName;
        try
        {
            var volumes = PrepareVolumes(ns, podSpec, folder);
            foreach (var (container, index) in Containers(podSpec["initContainers"]))
            {
                var exit = await RunContainerAsync(ns, jobName, podName, container, index, "initContainerStatuses", volumes, folder, run.Token);
                if (exit is null) return; // stopped, or its image cannot be pulled
                if (exit != 0)
                {
                    Finish(ns, jobName, podName, succeeded: false);
                    return;
                }
            }
            SetPod(ns, podName, p => p["status"]!["phase"] = "Running");
            var exits = await Task.WhenAll(Containers(podSpec["containers"]).Select(c => RunContainerAsync(ns, jobName, podName, c.Container, c.Index, "containerStatuses", volumes, folder, run.Token)));
            if (exits.Any(e => e is null)) return;
            Finish(ns, jobName, podName, succeeded: exits.All(e => e == 0));
        }
        finally
        {
            _running.TryRemove((ns, podName), out _);
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>Runs one container to its end; null when it never ran to an exit (image not pullable, or stopped).</summary>
    private async Task<int?> RunContainerAsync(string ns, string job, string pod, JsonObject container, int index, string statusField, Dictionary<string, string> volumes, string folder, CancellationToken cancellationToken)
    {
        var name = container["name"]!.GetValue<string>();
        var image = container["image"]!.GetValue<string>();
        if (!_options.Images.TryGetValue(image, out var entrypoint))
        {
            SetContainer(ns, pod, statusField, index, new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "ErrImagePull", ["message"] = $"rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": not found" } });
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
            SetContainer(ns, pod, statusField, index, new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "ImagePullBackOff", ["message"] = $"Back-off pulling image \"{image}\"" } });
            return null;
        }

        var mounts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var mount in container["volumeMounts"] as JsonArray ?? [])
            mounts[mount!["mountPath"]!.GetValue<string>()] = volumes[mount["name"]!.GetValue<string>()];
        var terminationPath = container["terminationMessagePath"]?.GetValue<string>() ?? "/dev/termination-log";
        var terminationFile = Path.Combine(folder, $"termination-{name}");
        File.WriteAllText(terminationFile, "");
        mounts[terminationPath] = terminationFile;
        foreach (var (inImage, host) in _options.ImageFiles) mounts[inImage] = host;

        var command = (container["command"] as JsonArray)?.Select(a => a!.GetValue<string>()).ToList() ?? entrypoint.ToList();
        var argv = command.Concat((container["args"] as JsonArray)?.Select(a => a!.GetValue<string>()) ?? []).Select(a => MapPaths(a, mounts)).ToList();
        var start = new ProcessStartInfo(argv[0] == "dotnet" ? DotnetHost() : argv[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = container["workingDir"]?.GetValue<string>() is { } workingDir ? MapPaths(workingDir, mounts) : folder,
        };
        foreach (var arg in argv.Skip(1)) start.ArgumentList.Add(arg);
        // An image's .NET app host finds the runtime where the image has it; here that is this machine's runtime.
        start.Environment["DOTNET_ROOT"] = DotnetRoot;
        foreach (var (key, value) in _options.Environment) start.Environment[key] = value;
        var home = Directory.CreateDirectory(Path.Combine(folder, "home-" + name)).FullName;
        start.Environment["HOME"] = home;
        start.Environment["XDG_CACHE_HOME"] = Path.Combine(home, ".cache");
        start.Environment["HOSTNAME"] = pod;
        foreach (var variable in container["env"] as JsonArray ?? [])
            start.Environment[variable!["name"]!.GetValue<string>()] = MapPaths(variable["value"]?.GetValue<string>() ?? "", mounts);

        var log = _logs.GetOrAdd((ns, pod, name), _ => new ContainerLog());
        var started = DateTimeOffset.UtcNow;
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) log.Append(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Append(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        SetContainer(ns, pod, statusField, index, new JsonObject { ["running"] = new JsonObject { ["startedAt"] = ObjectStore.Rfc3339(started) } }, started: true);

        var stopped = false;
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            stopped = true;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }
        process.WaitForExit(); // drains the output readers
        log.End();
        var finished = DateTimeOffset.UtcNow;
        var exitCode = stopped ? 137 : process.ExitCode;
        Runs.Enqueue(new ContainerRun(pod, job, name, argv, started, finished, exitCode));
        if (stopped) return null;

        var message = await File.ReadAllTextAsync(terminationFile, CancellationToken.None);
        if (message.Length > 4096) message = message[..4096];
        var terminated = new JsonObject
        {
            ["exitCode"] = exitCode,
            ["reason"] = exitCode == 0 ? "Completed" : "Error",
            ["startedAt"] = ObjectStore.Rfc3339(started),
            ["finishedAt"] = ObjectStore.Rfc3339(finished),
        };
        if (message.Length > 0) terminated["message"] = message;
        SetContainer(ns, pod, statusField, index, new JsonObject { ["terminated"] = terminated });
        return exitCode;
    }

    private Dictionary<string, string> PrepareVolumes(string ns, JsonObject podSpec, string folder)
    {
        var volumes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var volume in podSpec["volumes"] as JsonArray ?? [])
        {
            var name = volume!["name"]!.GetValue<string>();
            var path = Directory.CreateDirectory(Path.Combine(folder, "volumes", name)).FullName;
            volumes[name] = path;
            if (volume["secret"] is JsonObject secretSource)
            {
                var secret = _store.Get(Secrets, ns, secretSource["secretName"]!.GetValue<string>())
                    ?? throw new InvalidOperationException($"secret {secretSource["secretName"]} not found (a real kubelet leaves the pod in ContainerCreating)");
                var data = secret["data"] as JsonObject ?? new JsonObject();
                var items = (secretSource["items"] as JsonArray)?.Select(i => (Key: i!["key"]!.GetValue<string>(), Path: i["path"]!.GetValue<string>()))
                    ?? data.Select(d => (d.Key, d.Key));
                foreach (var (key, file) in items)
                    File.WriteAllBytes(Path.Combine(path, file), Convert.FromBase64String(data[key]!.GetValue<string>()));
            }
            else if (volume["configMap"] is JsonObject mapSource)
            {
                var map = _store.Get(ConfigMaps, ns, mapSource["name"]!.GetValue<string>())
                    ?? throw new InvalidOperationException($"configmap {mapSource["name"]} not found (a real kubelet leaves the pod in ContainerCreating)");
                foreach (var (key, value) in map["data"] as JsonObject ?? new JsonObject())
                    File.WriteAllText(Path.Combine(path, key), value!.GetValue<string>());
            }
        }
        return volumes;
    }

    private void Finish(string ns, string job, string pod, bool succeeded)
    {
        SetPod(ns, pod, p => p["status"]!["phase"] = succeeded ? "Succeeded" : "Failed");
        var now = ObjectStore.Rfc3339(DateTimeOffset.UtcNow);
        UpdateJob(ns, job, status =>
        {
            if (status["conditions"] is JsonArray) return; // already failed (deadline)
            status["active"] = 0;
            status["ready"] = 0;
            if (succeeded)
            {
                status["succeeded"] = 1;
                status["completionTime"] = now;
                status["conditions"] = new JsonArray(Condition("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods", now), Condition("Complete", "CompletionsReached", "Reached expected number of succeeded pods", now));
            }
            else
            {
                status["failed"] = 1;
                status["conditions"] = new JsonArray(Condition("FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit", now), Condition("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit", now));
            }
        });
    }

    /// <summary>The job controller's answer to activeDeadlineSeconds: the Job fails, then its running pod is deleted.</summary>
    private void DeadlineExceeded(string ns, string job, string pod)
    {
        var now = ObjectStore.Rfc3339(DateTimeOffset.UtcNow);
        var failedNow = false;
        UpdateJob(ns, job, status =>
        {
            if (status["conditions"] is JsonArray) return;
            failedNow = true;
            status["active"] = 0;
            status["failed"] = 1;
            status["conditions"] = new JsonArray(Condition("FailureTarget", "DeadlineExceeded", "Job was active longer than specified deadline", now), Condition("Failed", "DeadlineExceeded", "Job was active longer than specified deadline", now));
        });
        if (failedNow) _store.Delete(Pods, ns, pod);
    }

    private static JsonObject Condition(string type, string reason, string message, string time) => new()
    {
        ["type"] = type, ["status"] = "True", ["reason"] = reason, ["message"] = message, ["lastProbeTime"] = time, ["lastTransitionTime"] = time,
    };

    private void UpdateJob(string ns, string job, Action<JsonObject> change) =>
        _store.Update(Jobs, ns, job, j => change(j["status"] as JsonObject ?? (JsonObject)(j["status"] = new JsonObject())));

    private void SetPod(string ns, string pod, Action<JsonObject> change) => _store.Update(Pods, ns, pod, change);

    private void SetContainer(string ns, string pod, string field, int index, JsonObject state, bool started = false) =>
        SetPod(ns, pod, p =>
        {
            var status = p["status"]![field]![index]!.AsObject();
            status["state"] = state;
            status["started"] = started;
            status["ready"] = started && field == "containerStatuses";
        });

    private static JsonArray Statuses(JsonNode? containers, string waitingReason) =>
        new((containers as JsonArray ?? []).Select(c => (JsonNode)new JsonObject
        {
            ["name"] = c!["name"]!.GetValue<string>(),
            ["image"] = c["image"]!.GetValue<string>(),
            ["imageID"] = "",
            ["ready"] = false,
            ["restartCount"] = 0,
            ["started"] = false,
            ["state"] = new JsonObject { ["waiting"] = new JsonObject { ["reason"] = waitingReason } },
        }).ToArray());

    private static IEnumerable<(JsonObject Container, int Index)> Containers(JsonNode? list) =>
        (list as JsonArray ?? []).Select((c, i) => (c!.AsObject(), i));

    /// <summary>Replaces each in-pod path (a mount path, an image file) at the start of a path with its host folder or file.</summary>
    private static string MapPaths(string value, Dictionary<string, string> mounts)
    {
        foreach (var (inPod, host) in mounts.OrderByDescending(m => m.Key.Length))
        {
            var at = 0;
            while ((at = value.IndexOf(inPod, at, StringComparison.Ordinal)) >= 0)
            {
                var end = at + inPod.Length;
                var boundaryBefore = at == 0 || value[at - 1] is '=' or '/' or ':';
                var boundaryAfter = end == value.Length || value[end] == '/';
                if (boundaryBefore && boundaryAfter && !IsInsideHost(value, at, mounts))
                {
                    value = value[..at] + host + value[end..];
                    at += host.Length;
                }
                else at = end;
            }
        }
        return value;
    }

    /// <summary>True when position <paramref name="at"/> lies inside a host path written by an earlier replacement.</summary>
    private static bool IsInsideHost(string value, int at, Dictionary<string, string> mounts) =>
        mounts.Values.Any(host => value.IndexOf(host, StringComparison.Ordinal) is var h && h >= 0 && at >= h && at < h + host.Length);

    /// <summary>The .NET installation this process runs on (its shared framework lives in <c>shared/Microsoft.NETCore.App/VERSION</c>).</summary>
    private static string DotnetRoot { get; } = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));

    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static bool OwnedBy(JsonObject pod, string uid) =>
        (pod["metadata"]?["ownerReferences"] as JsonArray ?? []).Any(r => r?["uid"]?.GetValue<string>() == uid);

    private static string Name(JsonObject item) => item["metadata"]!["name"]!.GetValue<string>();

    /// <summary>pods/log: the container's lines (the last <paramref name="tailLines"/>), and with follow, new ones until the container ends.</summary>
    internal async Task ServeLogAsync(HttpContext http, string ns, string podName, string? container, bool follow, int? tailLines, CancellationToken stopping)
    {
        var pod = _store.Get(Pods, ns, podName);
        if (pod is null)
        {
            await WriteStatusAsync(http, StatusObjects.NotFound(Pods, podName));
            return;
        }
        var containers = (pod["spec"]!["containers"] as JsonArray ?? []).Select(c => c!["name"]!.GetValue<string>()).ToList();
        var initContainers = (pod["spec"]!["initContainers"] as JsonArray ?? []).Select(c => c!["name"]!.GetValue<string>()).ToList();
        if (container is null)
        {
            if (containers.Count != 1)
            {
                await WriteStatusAsync(http, StatusObjects.Failure(400, "BadRequest", $"a container name must be specified for pod {podName}, choose one of: [{string.Join(' ', containers)}] or one of the init containers: [{string.Join(' ', initContainers)}]"));
                return;
            }
            container = containers[0];
        }
        if (!containers.Contains(container) && !initContainers.Contains(container))
        {
            await WriteStatusAsync(http, StatusObjects.Failure(400, "BadRequest", $"container {container} is not valid for pod {podName}"));
            return;
        }
        if (!_logs.TryGetValue((ns, podName, container), out var log))
        {
            var reason = pod["status"]?["phase"]?.GetValue<string>() == "Pending" ? "PodInitializing" : "ContainerCreating";
            await WriteStatusAsync(http, StatusObjects.Failure(400, "BadRequest", $"container \"{container}\" in pod \"{podName}\" is waiting to start: {reason}"));
            return;
        }

        http.Response.StatusCode = 200;
        http.Response.ContentType = "text/plain";
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, stopping);
        var position = tailLines is { } tail ? Math.Max(0, log.Count - tail) : 0;
        while (true)
        {
            var (lines, ended, changed) = log.Read(position);
            position += lines.Count;
            if (lines.Count > 0)
            {
                await http.Response.WriteAsync(string.Concat(lines.Select(l => l + "\n")), Encoding.UTF8, cancel.Token);
                await http.Response.Body.FlushAsync(cancel.Token);
            }
            if (!follow || ended) return;
            await changed.WaitAsync(cancel.Token);
        }
    }

    private static async Task WriteStatusAsync(HttpContext http, JsonObject status)
    {
        http.Response.StatusCode = status["code"]!.GetValue<int>();
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(status.ToJsonString());
    }
}
