using System.Text.Json;
using System.Text.Json.Nodes;
using Orchestrator.Cli;
using Orchestrator.Testing;

namespace Orchestrator.Kubernetes.Tests;

/// <summary>
/// Nodes the cache answers never become Jobs: their images are assembled from the cached layers on this machine and
/// pushed, with the digests the Jobs gave them. Jobs are counted through the emulator's API, by node label.
/// </summary>
public sealed class CachedNodesTests(KubernetesTestEnvironment env) : IClassFixture<KubernetesTestEnvironment>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orchestrator-k8s-hits-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Repository => $"{env.Registry.Address}/hits";

    /// <summary>hitapp is built FROM the stage hitbase; hittool is independent of both, with its own context.</summary>
    private string WriteScript()
    {
        var common = Directory.CreateDirectory(Path.Combine(_folder, "common")).FullName;
        File.WriteAllText(Path.Combine(common, "a.txt"), "alpha\n");
        var tool = Directory.CreateDirectory(Path.Combine(_folder, "tool")).FullName;
        File.WriteAllText(Path.Combine(tool, "t.txt"), "tool v1\n");
        var script = Path.Combine(_folder, "build.csx");
        File.WriteAllText(script, $$"""
            var cache = "{{Repository}}/cache";
            var hitbase = Stage("hitbase").From("{{env.BaseImage}}").Context("common").Copy(".", "/common/")
                .Run("cat /common/a.txt > /all.txt").CacheRepo(cache);
            Image("hitapp").From(hitbase).Run("wc -c /all.txt > /size.txt").Env("ROLE", "app")
                .CacheRepo(cache).Destination("{{Repository}}/hitapp:1");
            Image("hittool").From("{{env.BaseImage}}").Context("tool").Copy("t.txt", "/t.txt").Run("cat /t.txt > /copy.txt")
                .CacheRepo(cache).Destination("{{Repository}}/hittool:1");
            """);
        return script;
    }

    private async Task<string> BuildAsync(string script, string cacheDir)
    {
        var (code, output, errors) = await KubernetesTestEnvironment.OrchestrateAsync(script, "--reproducible", "--progress", "plain",
            "--backend", "kubernetes", "--kubeconfig", env.Kubeconfig, "--executor-image", KubernetesTestEnvironment.ExecutorImage,
            "--cache-dir", Path.Combine(_folder, cacheDir));
        Assert.True(code == ExitCodes.Ok, $"{output}\n{errors}");
        return output;
    }

    [Fact]
    public async Task An_unchanged_rebuild_creates_no_job_and_a_changed_file_only_its_nodes_job()
    {
        var script = WriteScript();
        await BuildAsync(script, "first-machine");
        Assert.Equal((1, 1, 1), await JobCountsAsync());
        var app = await DigestAsync($"{Repository}/hitapp:1");
        var tool = await DigestAsync($"{Repository}/hittool:1");

        // A fresh machine (empty cache folder): every step is found in the cache repo, so nothing is dispatched.
        var unchanged = await BuildAsync(script, "second-machine");
        Assert.Equal((1, 1, 1), await JobCountsAsync());
        Assert.Contains("3 of 3 nodes not run", unchanged);
        Assert.Contains(unchanged.Split('\n'), l => l.StartsWith("[hitapp] ", StringComparison.Ordinal) && l.Contains("no Job created"));
        Assert.Contains($"hitapp → {Repository}/hitapp:1@{app}", unchanged);
        Assert.Equal(app, await DigestAsync($"{Repository}/hitapp:1"));
        Assert.Equal(tool, await DigestAsync($"{Repository}/hittool:1"));

        // One file of hittool's context changes: only hittool's node becomes a Job.
        File.WriteAllText(Path.Combine(_folder, "tool", "t.txt"), "tool v2\n");
        var changed = await BuildAsync(script, "second-machine");
        Assert.Equal((1, 1, 2), await JobCountsAsync());
        Assert.Contains("2 of 3 nodes not run", changed);
        Assert.Equal(app, await DigestAsync($"{Repository}/hitapp:1"));
        Assert.NotEqual(tool, await DigestAsync($"{Repository}/hittool:1"));
    }

    /// <summary>Jobs of each node so far, listed through the API as kubectl would (<c>GET …/jobs?labelSelector=</c>).</summary>
    private async Task<(int Base, int App, int Tool)> JobCountsAsync()
    {
        using var http = new HttpClient();
        async Task<int> CountAsync(string node)
        {
            var url = $"{env.Emulator.Url}/apis/batch/v1/namespaces/{KubernetesTestEnvironment.Namespace}/jobs?labelSelector={Uri.EscapeDataString(KubernetesNames.NodeLabel + "=" + node)}";
            var list = JsonNode.Parse(await http.GetStringAsync(url))!;
            return list["items"]!.AsArray().Count;
        }
        return (await CountAsync("hitbase"), await CountAsync("hitapp"), await CountAsync("hittool"));
    }

    private static async Task<string> DigestAsync(string reference)
    {
        var inspect = (await ExternalTool.RunAsync("skopeo", "inspect", "--tls-verify=false", $"docker://{reference}")).EnsureSuccess();
        using var json = JsonDocument.Parse(inspect.StandardOutput);
        return json.RootElement.GetProperty("Digest").GetString()!;
    }
}
