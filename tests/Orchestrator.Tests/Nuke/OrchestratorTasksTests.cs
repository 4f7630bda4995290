using Orchestrator.Hosting;
using Orchestrator.Nuke;
using Orchestrator.Recipes;
using Orchestrator.Tests.Cli;

namespace Orchestrator.Tests.Nuke;

/// <summary>OrchestratorTasks called the way a Nuke target calls them; the images are checked with umoci.</summary>
public sealed class OrchestratorTasksTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orchestrator-nuke-").FullName;
    private readonly List<string> _log = [];

    public void Dispose() => Testing.TreeDeleter.Delete(_folder);

    private string Cache => Path.Combine(_folder, "cache");

    private string Log => string.Join('\n', _log);

    private OrchestratorBuildSettings Common(OrchestratorBuildSettings s) =>
        s.SetCacheDirectory(Cache).EnableNoPush().SetLogger(line => { lock (_log) _log.Add(line); });

    [Fact]
    public async Task Build_runs_a_build_csx_and_returns_the_digest_of_the_image_it_wrote()
    {
        var script = RepositoryFiles.CopyExample("hello", _folder);
        var layout = Path.Combine(_folder, "layout");

        var report = OrchestratorTasks.Build(s => Common(s).SetScript(script).SetTargets("hello").SetOutput(layout).AddBuildArg("REGISTRY", ""));

        var image = await OciLayoutImage.UnpackAsync(layout, Path.Combine(_folder, "bundle"));
        var hello = Assert.Single(report.Images);
        Assert.Equal("hello", hello.Name);
        Assert.Equal(image.ManifestDigest, hello.Digest);
        Assert.Contains($"{layout}@{hello.Digest}", hello.Published);
        Assert.StartsWith("built ", await File.ReadAllTextAsync(Path.Combine(image.Rootfs, "srv", "motd")));
        Assert.Equal(["/usr/local/bin/hello"], image.Args);
        Assert.Contains("GREETING=Hello from a daemonless build", image.Env);
        Assert.Contains("[hello] step 2/6: RUN mkdir -p /srv", Log);
    }

    [Fact]
    public async Task Build_of_recipes_in_code_builds_only_the_targets()
    {
        var context = Directory.CreateDirectory(Path.Combine(_folder, "context")).FullName;
        await File.WriteAllTextAsync(Path.Combine(context, "app.txt"), "from nuke\n");
        var book = new RecipeBook(_folder);
        var busybox = book.Stage("busybox").FromScratch().Context("/bin").Copy("busybox", "/bin/busybox", chmod: "0755").Run("/bin/busybox", "--install", "-s", "/bin");
        book.Image("app").From(busybox).Context("context").Copy("app.txt", "/app/app.txt").Env("MODE", "nuke").Entrypoint("/bin/cat", "/app/app.txt");
        book.Image("other").From(busybox).Run("exit 3");

        var report = OrchestratorTasks.Build(book, s => Common(s).SetTargets("app").SetOutput(Path.Combine(_folder, "out")));

        Assert.Equal(["app"], report.Images.Select(i => i.Name));
        var image = await OciLayoutImage.UnpackAsync(Path.Combine(_folder, "out"), Path.Combine(_folder, "bundle"));
        Assert.Equal(image.ManifestDigest, report["app"].Digest);
        Assert.Equal("from nuke\n", await File.ReadAllTextAsync(Path.Combine(image.Rootfs, "app", "app.txt")));
        Assert.Equal(["/bin/cat", "/app/app.txt"], image.Args);
        Assert.Contains("MODE=nuke", image.Env);
        Assert.DoesNotContain("[other]", Log);
    }

    [Fact]
    public void Plan_lists_the_steps_and_runs_nothing()
    {
        var script = RepositoryFiles.CopyExample("hello", _folder);

        var plan = OrchestratorTasks.Plan(s => Common(s).SetScript(script));

        Assert.Equal(["busybox", "hello"], plan.Graph.Nodes.Select(n => n.Name).Order());
        Assert.Matches(@"● hello\s+image", plan.Render());
        Assert.False(Directory.Exists(Path.Combine(Path.GetDirectoryName(script)!, "out")));
        Assert.Empty(_log);
    }

    [Fact]
    public void Settings_are_immutable_and_reset_to_the_build_defaults()
    {
        var start = new OrchestratorBuildSettings();
        var changed = start.SetScript("x.csx").AddTargets("a").AddTargets("b").SetBackend("kubernetes").AddBuildArg("A", "1").SetCacheRepo("localhost:5000/cache").EnableNoPush();

        Assert.Equal("build.csx", start.Build.ScriptPath);
        Assert.Empty(start.Build.Targets);
        Assert.Equal(["a", "b"], changed.Build.Targets);
        Assert.Equal("1", changed.Build.BuildArgs["A"]);
        Assert.True(changed.Build.NoPush);
        Assert.Equal("localhost:5000/cache", changed.Build.CacheRepo);
        var reset = changed.ResetScript().ResetBackend().ResetCacheRepo().ClearTargets().DisableNoPush();
        Assert.Equal(new BuildSettings().ScriptPath, reset.Build.ScriptPath);
        Assert.Equal("local", reset.Build.Backend);
        Assert.Null(reset.Build.CacheRepo);
        Assert.Empty(reset.Build.Targets);
        Assert.False(reset.Build.NoPush);
    }

    [Fact]
    public void An_unknown_backend_is_named_with_the_fix()
    {
        var script = RepositoryFiles.CopyExample("hello", _folder);

        var error = Assert.Throws<OrchestratorException>(() => OrchestratorTasks.Build(s => Common(s).SetScript(script).SetBackend("docker")));

        Assert.Equal("unknown backend 'docker'; use --backend local or --backend kubernetes", error.Message);
    }
}
