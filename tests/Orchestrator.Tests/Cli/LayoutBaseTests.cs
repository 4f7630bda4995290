using System.Text.Json;
using Orchestrator.Cli;
using Orchestrator.Testing;
using Orchestrator.Testing.BaseImages;
using Orchestrator.Tests.Conformance;

namespace Orchestrator.Tests.Cli;

/// <summary>
/// Bases in OCI image layouts through the real CLI path: an image written to a layout by our builder, or
/// copied into one by skopeo from a real registry, is the <c>From("oci:…")</c> of a second build; umoci
/// and skopeo, tools we did not write, check the layers and the inherited config of the result.
/// </summary>
public sealed class LayoutBaseTests(RegistryFixture registry) : IClassFixture<RegistryFixture>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orchestrator-layout-base-").FullName;
    private readonly StringWriter _out = new();
    private readonly StringWriter _err = new();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Output => $"stdout:\n{_out}\nstderr:\n{_err}";

    private Task<int> Orchestrate(string script, string cache, params string[] args) =>
        CliApp.RunAsync([script, .. args, "--cache-dir", cache, "--progress", "plain"], _out, _err);

    /// <summary>Writes <paramref name="body"/> as build.csx in <paramref name="folder"/> (with the busybox recipe beside it).</summary>
    private async Task<string> ScriptAsync(string folder, string body)
    {
        var directory = Directory.CreateDirectory(Path.Combine(_folder, folder)).FullName;
        File.Copy(Path.Combine(RepositoryFiles.Root, "recipes", "busybox.csx"), Path.Combine(directory, "busybox.csx"), overwrite: true);
        var script = Path.Combine(directory, "build.csx");
        await File.WriteAllTextAsync(script, body);
        return script;
    }

    private async Task<(string Rootfs, JsonElement Runtime)> UnpackAsync(string layout, string tag = "latest")
    {
        var bundle = Path.Combine(_folder, "bundle-" + Guid.NewGuid().ToString("N"));
        (await ExternalTool.RunAsync("umoci", ["unpack", "--rootless", "--image", $"{layout}:{tag}", bundle])).EnsureSuccess();
        using var config = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(bundle, "config.json")));
        return (Path.Combine(bundle, "rootfs"), config.RootElement.Clone());
    }

    private static async Task<JsonElement> SkopeoAsync(params string[] arguments)
    {
        var result = (await ExternalTool.RunAsync("skopeo", ["--insecure-policy", .. arguments])).EnsureSuccess();
        using var json = JsonDocument.Parse(result.StandardOutput);
        return json.RootElement.Clone();
    }

    private static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();

    private static string Inode(string path) => File.ResolveLinkTarget(path, false) is null
        ? ExternalTool.RunAsync("stat", ["-c", "%i", path]).GetAwaiter().GetResult().EnsureSuccess().StandardOutput.Trim()
        : throw new InvalidOperationException(path + " is a link");

    [Fact]
    public async Task An_image_our_builder_wrote_to_a_layout_is_the_base_of_the_next_build()
    {
        var baseScript = await ScriptAsync("base", """
            #load "busybox.csx"
            Image("base")
                .From(BusyboxBase())
                .Run("echo from-base > /hello")
                .Env("GREETING", "hi there")
                .Workdir("/srv")
                .Label("org.example.layer", "base")
                .Cmd("/bin/sh", "-c", "echo $GREETING")
                .User("1000:1000")
                .Output("out/base");
            """);
        Assert.True(await Orchestrate(baseScript, Path.Combine(_folder, "cache-base")) == ExitCodes.Ok, Output);
        var baseLayout = Path.Combine(_folder, "base", "out", "base");

        // The second build has a cache of its own, so the base's layers really come out of the layout.
        var appScript = await ScriptAsync("app", """
            Image("app")
                .From("oci:../base/out/base")
                .Context(".")
                .Copy("note.txt", "/srv/note.txt")
                .CopyFrom("oci:../base/out/base:latest", "/hello", "/copied-hello")
                .Env("MORE", "1")
                .Output("out/app");
            """);
        await File.WriteAllTextAsync(Path.Combine(_folder, "app", "note.txt"), "a note\n");
        var appCache = Path.Combine(_folder, "cache-app");
        Assert.True(await Orchestrate(appScript, appCache) == ExitCodes.Ok, Output);
        var appLayout = Path.Combine(_folder, "app", "out", "app");

        var (rootfs, runtime) = await UnpackAsync(appLayout);
        Assert.Equal("from-base\n", await File.ReadAllTextAsync(Path.Combine(rootfs, "hello")));
        Assert.Equal("from-base\n", await File.ReadAllTextAsync(Path.Combine(rootfs, "copied-hello")));
        Assert.Equal("a note\n", await File.ReadAllTextAsync(Path.Combine(rootfs, "srv", "note.txt")));
        Assert.True(File.Exists(Path.Combine(rootfs, "bin", "busybox")));
        var process = runtime.GetProperty("process");
        Assert.Equal("/srv", process.GetProperty("cwd").GetString());
        Assert.Equal(1000, process.GetProperty("user").GetProperty("uid").GetInt32());
        Assert.Equal(1000, process.GetProperty("user").GetProperty("gid").GetInt32());
        Assert.Equal(["/bin/sh", "-c", "echo $GREETING"], Strings(process.GetProperty("args")));
        Assert.Contains("GREETING=hi there", Strings(process.GetProperty("env")));
        Assert.Contains("MORE=1", Strings(process.GetProperty("env")));

        var baseImage = await SkopeoAsync("inspect", $"oci:{baseLayout}:latest");
        var appImage = await SkopeoAsync("inspect", $"oci:{appLayout}:latest");
        var baseLayers = Strings(baseImage.GetProperty("Layers"));
        var appLayers = Strings(appImage.GetProperty("Layers"));
        Assert.Equal(baseLayers, appLayers.Take(baseLayers.Length));
        Assert.Equal(baseLayers.Length + 2, appLayers.Length);
        Assert.Equal("base", appImage.GetProperty("Labels").GetProperty("org.example.layer").GetString());

        var baseConfig = await SkopeoAsync("inspect", "--config", $"oci:{baseLayout}:latest");
        var appConfig = await SkopeoAsync("inspect", "--config", $"oci:{appLayout}:latest");
        var baseHistory = baseConfig.GetProperty("history").EnumerateArray().Select(h => h.GetRawText()).ToList();
        var appHistory = appConfig.GetProperty("history").EnumerateArray().Select(h => h.GetRawText()).ToList();
        Assert.Equal(baseHistory, appHistory.Take(baseHistory.Count));
        Assert.Equal(baseHistory.Count + 3, appHistory.Count);
        Assert.Equal(Strings(baseConfig.GetProperty("rootfs").GetProperty("diff_ids")), Strings(appConfig.GetProperty("rootfs").GetProperty("diff_ids")).Take(baseLayers.Length));

        // Warm: the same build again finds every base layer already extracted and leaves the folders as they are.
        var diffIds = Strings(baseConfig.GetProperty("rootfs").GetProperty("diff_ids"));
        var folders = diffIds.Select(d => Path.Combine(appCache, "layers", "sha256", d["sha256:".Length..])).ToList();
        var inodes = folders.Select(Inode).ToList();
        Assert.True(await Orchestrate(appScript, appCache) == ExitCodes.Ok, Output);
        Assert.Equal(inodes, folders.Select(Inode).ToList());
    }

    [Fact]
    public async Task One_script_can_write_a_layout_and_build_on_it_when_the_reader_depends_on_the_writer()
    {
        var script = await ScriptAsync("same", """
            #load "busybox.csx"
            var tools = Image("tools").From(BusyboxBase()).Run("echo v1 > /version").Output("out/tools");
            Image("app").From("oci:out/tools:latest").DependsOn(tools).Run("cp /version /app-version").Output("out/app");
            """);
        Assert.True(await Orchestrate(script, Path.Combine(_folder, "cache")) == ExitCodes.Ok, Output);
        var (rootfs, _) = await UnpackAsync(Path.Combine(_folder, "same", "out", "app"));
        Assert.Equal("v1\n", await File.ReadAllTextAsync(Path.Combine(rootfs, "app-version")));
    }

    [Fact]
    public async Task A_layout_skopeo_copied_from_a_registry_is_a_base()
    {
        var work = Directory.CreateDirectory(Path.Combine(_folder, "publish")).FullName;
        var tarball = Path.Combine(work, "busybox.tar.gz");
        await BusyboxLayer.WriteAsync(tarball);
        var reference = $"{registry.Address}/layout/busybox:1";
        await BaseImagePublisher.PublishAsync(tarball, reference, ["/bin/sh"], work);
        var layout = Path.Combine(_folder, "skopeo-layout");
        (await ExternalTool.RunAsync("skopeo", ["--insecure-policy", "copy", "--src-tls-verify=false", $"docker://{reference}", $"oci:{layout}:v1"], TimeSpan.FromMinutes(2))).EnsureSuccess();

        var script = await ScriptAsync("skopeo-app", $$"""
            Image("app")
                .From("oci:{{layout}}:v1")
                .Run("echo ok > /ok && test -x /bin/busybox")
                .Output("out/app");
            """);
        Assert.True(await Orchestrate(script, Path.Combine(_folder, "cache")) == ExitCodes.Ok, Output);
        var appLayout = Path.Combine(_folder, "skopeo-app", "out", "app");

        var (rootfs, runtime) = await UnpackAsync(appLayout);
        Assert.Equal("ok\n", await File.ReadAllTextAsync(Path.Combine(rootfs, "ok")));
        Assert.Equal(["/bin/sh"], Strings(runtime.GetProperty("process").GetProperty("args")));
        Assert.Contains("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", Strings(runtime.GetProperty("process").GetProperty("env")));
        var baseLayers = Strings((await SkopeoAsync("inspect", $"oci:{layout}:v1")).GetProperty("Layers"));
        var appLayers = Strings((await SkopeoAsync("inspect", $"oci:{appLayout}:latest")).GetProperty("Layers"));
        Assert.Equal([.. baseLayers, appLayers[^1]], appLayers);
    }

    [Fact]
    public async Task A_missing_layout_fails_the_build_naming_the_recipe_line_the_path_and_the_fix()
    {
        var script = await ScriptAsync("missing", "// a base that was never written\nImage(\"app\").From(\"oci:out/none:v1\").Output(\"out/app\");\n");
        Assert.Equal(ExitCodes.BuildFailed, await Orchestrate(script, Path.Combine(_folder, "cache")));
        var error = _err.ToString();
        Assert.Contains("build.csx(2,", error);
        Assert.Contains($"OCI layout '{Path.Combine(_folder, "missing", "out", "none")}' does not exist", error);
        Assert.Contains("skopeo copy", error);
        Assert.False(Directory.Exists(Path.Combine(_folder, "missing", "out", "app")));
    }

    [Fact]
    public async Task A_tag_the_layout_does_not_have_fails_listing_the_tags_it_has()
    {
        var baseScript = await ScriptAsync("base", "#load \"busybox.csx\"\nImage(\"base\").From(BusyboxBase()).Output(\"out/base\");\n");
        Assert.True(await Orchestrate(baseScript, Path.Combine(_folder, "cache")) == ExitCodes.Ok, Output);
        var script = await ScriptAsync("app", "Image(\"app\").From(\"oci:../base/out/base:v2\").Run(\"true\").Output(\"out/app\");\n");
        Assert.Equal(ExitCodes.BuildFailed, await Orchestrate(script, Path.Combine(_folder, "cache")));
        Assert.Contains($"has no image named 'v2'; its tags are: latest", _err.ToString());
        Assert.Contains(Path.Combine(_folder, "base", "out", "base"), _err.ToString());
    }

    [Fact]
    public async Task A_malformed_layout_reference_is_a_usage_error_at_its_line()
    {
        var script = await ScriptAsync("bad", "Image(\"a\").From(\"oci:\").Output(\"out/a\");\nImage(\"b\").From(\"oci:out/x:bad tag\").Output(\"out/b\");\n");
        Assert.Equal(ExitCodes.UsageError, await Orchestrate(script, Path.Combine(_folder, "cache"), "--plan"));
        var error = _err.ToString();
        Assert.Matches(@"build\.csx\(1,\d+\): error: image 'a': base image: 'oci:' names no folder", error);
        Assert.Matches(@"build\.csx\(2,\d+\): error: image 'b': base image: 'bad tag' is not a valid OCI layout tag", error);
    }

    [Fact]
    public async Task The_plan_shows_a_layout_base_with_its_path_and_tag()
    {
        var script = await ScriptAsync("plan", "Image(\"app\").From(\"oci:out/base:v1\").Output(\"out/app\");\n");
        Assert.True(await Orchestrate(script, Path.Combine(_folder, "cache"), "--plan", "--plan-format", "json") == ExitCodes.Ok, Output);
        using var plan = JsonDocument.Parse(_out.ToString());
        var baseImage = plan.RootElement.GetProperty("nodes")[0].GetProperty("base");
        Assert.Equal("layout", baseImage.GetProperty("type").GetString());
        Assert.Equal(Path.Combine(_folder, "plan", "out", "base"), baseImage.GetProperty("path").GetString());
        Assert.Equal("v1", baseImage.GetProperty("tag").GetString());
    }
}
