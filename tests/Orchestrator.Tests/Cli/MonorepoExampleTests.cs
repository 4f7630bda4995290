using System.Text.Json;
using Orchestrator.Cli;
using Orchestrator.Testing;

namespace Orchestrator.Tests.Cli;

/// <summary>
/// examples/monorepo through the real CLI: three services on one shared stage, built in one run, with the
/// recipe library loaded from recipes/. Node events come from <c>--progress json</c>; the images are checked
/// by unpacking them with umoci.
/// </summary>
public sealed class MonorepoExampleTests : IDisposable
{
    private static readonly string[] Services = ["web", "api", "worker"];

    private readonly string _folder = Directory.CreateTempSubdirectory("orchestrator-monorepo-").FullName;
    private readonly StringWriter _out = new();
    private readonly StringWriter _err = new();

    public void Dispose() => TreeDeleter.Delete(_folder);

    private string Output => $"stdout:\n{_out}\nstderr:\n{_err}";

    private string Example => Path.Combine(_folder, "examples", "monorepo");

    private Task<int> Orchestrate(params string[] args) =>
        CliApp.RunAsync([.. args, "--cache-dir", Path.Combine(_folder, "cache")], _out, _err);

    /// <summary>The <c>--progress json</c> events of the last run, as (event, node) pairs.</summary>
    private List<(string Event, string Node, bool Cached)> Events() =>
        _out.ToString().Split('\n').Where(l => l.StartsWith('{')).Select(l =>
        {
            using var json = JsonDocument.Parse(l);
            var root = json.RootElement;
            return (root.GetProperty("event").GetString()!,
                root.TryGetProperty("node", out var node) ? node.GetString()! : "",
                root.TryGetProperty("cached", out var cached) && cached.ValueKind == JsonValueKind.True);
        }).ToList();

    private async Task<string> UnpackAsync(string service)
    {
        var bundle = Path.Combine(_folder, "bundle-" + service);
        (await ExternalTool.RunAsync("umoci", "unpack", "--rootless", "--image", Path.Combine(Example, "out", service) + ":latest", bundle)).EnsureSuccess();
        return Path.Combine(bundle, "rootfs");
    }

    [Fact]
    public async Task One_run_builds_every_service_and_the_shared_stage_once()
    {
        var script = RepositoryFiles.CopyExample("monorepo", _folder);

        Assert.True(await Orchestrate(script, "--progress", "json") == ExitCodes.Ok, Output);

        var events = Events();
        Assert.Single(events, e => e.Event == "started" && e.Node == "base");
        Assert.Single(events, e => e.Event == "completed" && e.Node == "base" && !e.Cached);
        foreach (var service in Services)
            Assert.Single(events, e => e.Event == "completed" && e.Node == service);
        Assert.True(events.FindIndex(e => e.Event == "completed" && e.Node == "base") < Services.Min(s => events.FindIndex(e => e.Event == "started" && e.Node == s)));

        foreach (var service in Services)
        {
            var rootfs = await UnpackAsync(service);
            Assert.Equal("release=dev", (await File.ReadAllTextAsync(Path.Combine(rootfs, "etc", "monorepo", "release"))).Trim());
            Assert.True(File.Exists(Path.Combine(rootfs, "usr", "local", "lib", "log.sh")), $"{service} has the shared library");
        }
        Assert.Contains("<h1>shop</h1>", await File.ReadAllTextAsync(Path.Combine(_folder, "bundle-web", "rootfs", "srv", "www", "index.html")));
        Assert.True(File.Exists(Path.Combine(_folder, "bundle-api", "rootfs", "srv", "api", "cgi-bin", "health")));
        Assert.True(File.Exists(Path.Combine(_folder, "bundle-worker", "rootfs", "usr", "local", "bin", "worker")));

        // Nothing changed: the second run takes every node from the cache.
        _out.GetStringBuilder().Clear();
        Assert.True(await Orchestrate(script, "--progress", "json") == ExitCodes.Ok, Output);
        Assert.All(Events().Where(e => e.Event == "completed"), e => Assert.True(e.Cached, $"{e.Node} ran again"));
    }

    [Fact]
    public async Task A_service_target_builds_only_that_service_and_what_it_stands_on()
    {
        var script = RepositoryFiles.CopyExample("monorepo", _folder);

        Assert.True(await Orchestrate(script, "api", "--progress", "json") == ExitCodes.Ok, Output);

        var built = Events().Where(e => e.Event == "started").Select(e => e.Node).Order().ToArray();
        Assert.Equal(["api", "base", "busybox"], built);
        Assert.True(Directory.Exists(Path.Combine(Example, "out", "api")));
        Assert.False(Directory.Exists(Path.Combine(Example, "out", "web")));
        Assert.False(Directory.Exists(Path.Combine(Example, "out", "worker")));
    }

    [Fact]
    public async Task The_backend_group_plans_api_and_worker_but_not_web()
    {
        var script = RepositoryFiles.CopyExample("monorepo", _folder);
        Assert.True(await Orchestrate(script, "backend", "--plan", "--plan-format", "json") == ExitCodes.Ok, Output);
        using var plan = JsonDocument.Parse(_out.ToString());
        var nodes = plan.RootElement.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("name").GetString()).Order().ToArray();
        Assert.Equal(["api", "base", "busybox", "worker"], nodes);
    }

    [Fact]
    public async Task The_readme_shows_the_plan_the_cli_renders_as_mermaid()
    {
        var script = RepositoryFiles.CopyExample("monorepo", _folder);
        Assert.True(await Orchestrate(script, "--plan", "--plan-format", "mermaid") == ExitCodes.Ok, Output);
        var readme = await File.ReadAllTextAsync(Path.Combine(RepositoryFiles.Root, "examples", "monorepo", "README.md"));
        Assert.Contains("```mermaid\n" + _out.ToString().TrimEnd() + "\n```", readme);
    }
}
