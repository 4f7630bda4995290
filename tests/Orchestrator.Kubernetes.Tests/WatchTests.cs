using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Orchestrator.Kubernetes.Tests.Emulator;

namespace Orchestrator.Kubernetes.Tests;

/// <summary>The backend's list+watch against the emulator: resume from the last version, re-list after 410 Gone, bookmarks.</summary>
public sealed class WatchTests : IAsyncLifetime
{
    private static readonly ResourceKind Pods = ResourceKind.Find("", "v1", "pods")!;
    private readonly string _root = Directory.CreateTempSubdirectory("orchestrator-k8s-watch-").FullName;
    private KubernetesApiEmulator _emulator = null!;
    private IKubernetes _client = null!;

    public async Task InitializeAsync()
    {
        _emulator = await KubernetesApiEmulator.StartAsync(new KubeletOptions { Images = new Dictionary<string, IReadOnlyList<string>>(), WorkRoot = _root });
        var kubeconfig = _emulator.WriteKubeconfig(Path.Combine(_root, "kubeconfig"), "watch");
        _client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _emulator.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private ResourceWatch<V1Pod, V1PodList> PodWatch(string selector) => new("pods", "watch",
        ct => _client.CoreV1.ListNamespacedPodAsync("watch", labelSelector: selector, cancellationToken: ct),
        (version, onError, ct) => _client.CoreV1.WatchListNamespacedPodAsync("watch", allowWatchBookmarks: true, labelSelector: selector, resourceVersion: version, onError: onError, cancellationToken: ct));

    private void AddPod(string name, string app) =>
        Assert.True(_emulator.Store.TryCreate(Pods, "watch", new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["app"] = app } },
            ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "c", ["image"] = "none" }) },
        }, out _));

    private async Task WaitForWatchRequestsAsync(int count)
    {
        // The emulator records a request when it arrives; the test waits for the watch to be open before changing things.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (_emulator.Requests.Count(r => r.Contains("watch=true", StringComparison.Ordinal)) < count)
            await Task.Delay(20, timeout.Token);
    }

    [Fact]
    public async Task A_change_after_the_list_arrives_as_a_watch_event_from_the_lists_version()
    {
        AddPod("before", "other");
        var watch = PodWatch("app=target");
        var seen = new List<(WatchEventType, string)>();
        var run = watch.RunAsync((type, pod) => { seen.Add((type, pod.Metadata.Name)); return pod.Metadata.Name == "after"; }, CancellationToken.None);
        await WaitForWatchRequestsAsync(1);
        AddPod("after", "target");
        await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal([(WatchEventType.Added, "after")], seen);
        Assert.Equal(1, watch.Lists);
        var request = Assert.Single(_emulator.Requests, r => r.Contains("watch=true", StringComparison.Ordinal));
        Assert.Contains("resourceVersion=", request);
        Assert.Contains("allowWatchBookmarks=true", request);
    }

    [Fact]
    public async Task A_watch_whose_version_was_compacted_lists_again_and_finds_what_changed_meanwhile()
    {
        _emulator.BookmarkInterval = TimeSpan.FromHours(1); // no bookmark may move the client's version on here
        var watch = PodWatch("app=target");
        var run = watch.RunAsync((_, pod) => pod.Metadata.Name == "meanwhile", CancellationToken.None);
        await WaitForWatchRequestsAsync(1);
        AddPod("unrelated", "other"); // the store moves past the version the client holds (the event is not for this watch)
        _emulator.BreakWatches(); // compaction, and the stream ends: the client's version is now too old
        AddPod("meanwhile", "target");
        await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(watch.Lists == 2, string.Join("\n", _emulator.Requests));
        Assert.Equal(2, _emulator.Requests.Count(r => r.StartsWith("GET /api/v1/namespaces/watch/pods?", StringComparison.Ordinal) && !r.Contains("watch=true", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Bookmarks_move_the_version_on_so_a_resumed_watch_does_not_replay_old_events()
    {
        _emulator.BookmarkInterval = TimeSpan.FromMilliseconds(100);
        var watch = PodWatch("app=target");
        var seen = new List<string>();
        AddPod("first", "target");
        var run = watch.RunAsync((_, pod) => { seen.Add(pod.Metadata.Name); return pod.Metadata.Name == "second"; }, CancellationToken.None);
        await WaitForWatchRequestsAsync(1);
        AddPod("noise", "other");
        var noise = _emulator.Store.CurrentVersion;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            while (!(long.TryParse(watch.Version, out var version) && version >= noise)) // a bookmark moved the client past "noise"
                await Task.Delay(20, timeout.Token);
        _emulator.Store.Compact();
        AddPod("second", "target");
        await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["first", "second"], seen);
        Assert.Equal(1, watch.Lists);
    }
}
