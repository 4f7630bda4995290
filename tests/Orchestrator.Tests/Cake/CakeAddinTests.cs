using System.Text.RegularExpressions;
using Orchestrator.Cake;
using Orchestrator.Tests.Cli;

namespace Orchestrator.Tests.Cake;

/// <summary>
/// examples/cake/build.cake run by the real Cake runner (cake.tool 7.0.0) with the addin this test was built with;
/// the images it writes are checked with umoci.
/// </summary>
public sealed partial class CakeAddinTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orchestrator-cake-").FullName;

    public void Dispose() => Testing.TreeDeleter.Delete(_folder);

    /// <summary>
    /// Copies examples/cake (and examples/hello with the recipe library, which its Script task builds) into the test's
    /// folder, with its <c>#r</c> pointed at the addin beside this test instead of the repository's build output.
    /// </summary>
    private async Task<(CakeRunner Cake, string Script)> PrepareAsync()
    {
        RepositoryFiles.CopyExample("hello", _folder);
        var script = Path.Combine(Path.GetDirectoryName(RepositoryFiles.CopyExample("cake", _folder))!, "build.cake");
        var text = await File.ReadAllTextAsync(script);
        const string reference = "#r \"../../src/Orchestrator.Cake/bin/Debug/net10.0/Orchestrator.Cake.dll\"";
        Assert.Contains(reference, text);
        await File.WriteAllTextAsync(script, text.Replace(reference, $"#r \"{typeof(OrchestratorSettings).Assembly.Location}\""));

        var cake = new CakeRunner(_folder);
        await cake.RestoreAsync();
        return (cake, script);
    }

    private string Cache => Path.Combine(_folder, "cache");

    private string Out => Path.Combine(_folder, "out");

    [Fact]
    public async Task Inline_recipes_in_build_cake_build_an_image()
    {
        var (cake, script) = await PrepareAsync();

        var run = await cake.CakeAsync(script, "--target=Image", $"--output={Out}", $"--cache-dir={Cache}", "--GREETING=Hello from the Cake test");
        run.EnsureSuccess();

        var image = await OciLayoutImage.UnpackAsync(Path.Combine(Out, "hello"), Path.Combine(_folder, "bundle"));
        Assert.Equal("#!/bin/sh\necho \"$GREETING\"\n", await File.ReadAllTextAsync(Path.Combine(image.Rootfs, "usr", "local", "bin", "hello")));
        Assert.Equal("built-by-cake\n", await File.ReadAllTextAsync(Path.Combine(image.Rootfs, "srv", "motd")));
        Assert.Equal("busybox", new FileInfo(Path.Combine(image.Rootfs, "bin", "sh")).LinkTarget?.Split('/').Last());
        Assert.Equal(["/usr/local/bin/hello"], image.Args);
        Assert.Equal("/srv", image.Process.GetProperty("cwd").GetString());
        // Arg("GREETING") read Cake's own argument.
        Assert.Contains("GREETING=Hello from the Cake test", image.Env);
        // The alias returned the digest of the image it wrote, and the node progress went to Cake's log.
        Assert.Equal(image.ManifestDigest, LoggedDigest().Match(run.StandardOutput).Groups[1].Value);
        Assert.Contains("[hello] step 2/5: RUN mkdir -p /srv", run.StandardOutput);
    }

    [Fact]
    public async Task A_build_csx_is_evaluated_from_cake_with_the_addins_own_compiler()
    {
        var (cake, script) = await PrepareAsync();

        // A fresh cache folder: the script is compiled (Roslyn 5.12 inside Cake's process, which carries 5.9), not loaded from the compile cache.
        var run = await cake.CakeAsync(script, "--target=Script", $"--output={Out}", $"--cache-dir={Cache}");
        run.EnsureSuccess();

        var image = await OciLayoutImage.UnpackAsync(Path.Combine(Out, "script-hello"), Path.Combine(_folder, "bundle"));
        Assert.StartsWith("built ", await File.ReadAllTextAsync(Path.Combine(image.Rootfs, "srv", "motd")));
        Assert.Contains("GREETING=Hello from a daemonless build", image.Env);
        Assert.Equal(["/usr/local/bin/hello"], image.Args);
        Assert.Equal(65534, image.Process.GetProperty("user").GetProperty("uid").GetInt32());
        Assert.Equal(image.ManifestDigest, ScriptDigest().Match(run.StandardOutput).Groups[1].Value);
    }

    [Fact]
    public async Task A_build_failure_fails_the_cake_task_with_the_recipe_error()
    {
        var (cake, script) = await PrepareAsync();
        var broken = Path.Combine(Path.GetDirectoryName(script)!, "broken.cake");
        await File.WriteAllTextAsync(broken, (await File.ReadAllTextAsync(script)).Replace(".Run(\"mkdir -p /srv && echo built-by-cake > /srv/motd\")", ".Run(\"exit 7\")"));

        var run = await cake.CakeAsync(broken, "--target=Image", $"--output={Out}", $"--cache-dir={Cache}");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("exit 7", run.StandardOutput + run.StandardError);
        Assert.False(Directory.Exists(Path.Combine(Out, "hello")), "no image is written when a step fails");
    }

    [Fact]
    public async Task A_recipe_error_names_the_line_of_the_cake_script()
    {
        var (cake, script) = await PrepareAsync();
        var broken = Path.Combine(Path.GetDirectoryName(script)!, "broken.cake");
        var lines = (await File.ReadAllTextAsync(script)).Replace(".Run(\"mkdir -p /srv && echo built-by-cake > /srv/motd\")", ".Run(\"\")").Split('\n');
        await File.WriteAllLinesAsync(broken, lines);
        var line = Array.FindIndex(lines, l => l.Contains(".Run(\"\")")) + 1;

        var run = await cake.CakeAsync(broken, "--target=Image", $"--output={Out}", $"--cache-dir={Cache}");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains($"broken.cake({line},", run.StandardOutput + run.StandardError);
        Assert.Contains("error: image 'hello': RUN needs a command", run.StandardOutput + run.StandardError);
        Assert.False(Directory.Exists(Out), "nothing is built when a recipe is invalid");
    }

    [Fact]
    public async Task After_the_build_the_cache_folder_is_kept_under_its_limit()
    {
        var (cake, script) = await PrepareAsync();

        var run = await cake.CakeAsync(new Dictionary<string, string> { ["ORCHESTRATOR_CACHE_KEEP_STORAGE"] = "1KB" }, script, "--target=Image", $"--output={Out}", $"--cache-dir={Cache}");
        run.EnsureSuccess();

        Assert.Matches(@"cache: removed .*blobs", run.StandardOutput);
        Assert.True(File.Exists(Path.Combine(Cache, "collected")), "the collector ran on the build's cache folder");
        Assert.True(File.Exists(Path.Combine(Out, "hello", "index.json")), "the image itself is outside the cache folder and stays");
    }

    [Fact]
    public async Task The_plan_task_logs_each_step_and_builds_nothing()
    {
        var (cake, script) = await PrepareAsync();

        var run = await cake.CakeAsync(script, "--target=Plan", $"--output={Out}", $"--cache-dir={Cache}");
        run.EnsureSuccess();

        Assert.Matches(@"● hello\s+image", run.StandardOutput);
        Assert.Contains("RUN mkdir -p /srv && echo built-by-cake > /srv/motd", run.StandardOutput);
        Assert.False(Directory.Exists(Out), "a plan writes no image");
    }

    [Fact]
    public async Task Every_file_of_the_recipe_library_loads_unchanged_into_a_cake_script_whose_short_forms_build()
    {
        var (cake, _) = await PrepareAsync();
        var site = Directory.CreateDirectory(Path.Combine(_folder, "site")).FullName;
        await File.WriteAllTextAsync(Path.Combine(site, "index.html"), "<h1>from cake</h1>\n");
        var loads = string.Concat(Directory.GetFiles(Path.Combine(_folder, "recipes"), "*.csx").Order(StringComparer.Ordinal)
            .Select(f => $"#load \"recipes/{Path.GetFileName(f)}\"\n"));
        var script = Path.Combine(_folder, "recipes.cake");
        await File.WriteAllTextAsync(script, $$"""
            #r "{{typeof(OrchestratorSettings).Assembly.Location}}"
            {{loads}}
            Task("Site").Does(() =>
            {
                StaticSite("site", "site", from: BusyboxBase());
                var report = OrchestratorBuild(new OrchestratorSettings { NoPush = true, Output = "{{Out}}", CacheDirectory = "{{Cache}}" });
                Information("site is {0}", report["site"].Digest);
            });
            RunTarget("Site");
            """);

        var run = await cake.CakeAsync(script);
        run.EnsureSuccess();

        var image = await OciLayoutImage.UnpackAsync(Out, Path.Combine(_folder, "bundle"));
        Assert.Equal("<h1>from cake</h1>\n", await File.ReadAllTextAsync(Path.Combine(image.Rootfs, "srv", "www", "index.html")));
        Assert.Equal(["httpd", "-f", "-v", "-p", "8080", "-h", "/srv/www"], image.Args);
        Assert.Equal(65534, image.Process.GetProperty("user").GetProperty("uid").GetInt32());
        Assert.Contains($"site is {image.ManifestDigest}", run.StandardOutput);
    }

    [GeneratedRegex(@"hello is (sha256:[0-9a-f]{64})")]
    private static partial Regex LoggedDigest();

    [GeneratedRegex(@"hello \(build\.csx\) is (sha256:[0-9a-f]{64})")]
    private static partial Regex ScriptDigest();
}
