using System.Text.Json;
using Orchestrator.Cli;
using Orchestrator.Testing;

namespace Orchestrator.Tests.Cli;

/// <summary>
/// The examples through the real CLI path: the script host compiles build.csx, the graph is planned,
/// the local builder runs the steps, and the result is checked with umoci, a tool we did not write.
/// </summary>
public sealed class ExampleTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orchestrator-examples-").FullName;
    private readonly StringWriter _out = new();
    private readonly StringWriter _err = new();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Cache => Path.Combine(_folder, "cache");

    private async Task<int> Orchestrate(params string[] args)
    {
        var code = await CliApp.RunAsync([.. args, "--cache-dir", Cache, "--progress", "plain"], _out, _err);
        return code;
    }

    private string Output => $"stdout:\n{_out}\nstderr:\n{_err}";

    /// <summary>Puts the busybox base recipe beside the test's build.csx, for <c>#load "busybox.csx"</c>.</summary>
    private void CopyBusyboxRecipe() =>
        File.Copy(Path.Combine(RepositoryFiles.Root, "recipes", "busybox.csx"), Path.Combine(_folder, "busybox.csx"));

    /// <summary>Writes build.csx as <c>#load "busybox.csx"</c> plus <paramref name="recipes"/>, with the recipe beside it; returns its path.</summary>
    private async Task<string> WriteBusyboxScriptAsync(string recipes)
    {
        CopyBusyboxRecipe();
        var script = Path.Combine(_folder, "build.csx");
        await File.WriteAllTextAsync(script, "#load \"busybox.csx\"\n" + recipes);
        return script;
    }

    private async Task<(string Rootfs, JsonElement Config)> Unpack(string layout)
    {
        var bundle = Path.Combine(_folder, "bundle-" + Guid.NewGuid().ToString("N"));
        (await ExternalTool.RunAsync("umoci", "unpack", "--rootless", "--image", layout + ":latest", bundle)).EnsureSuccess();
        using var config = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(bundle, "config.json")));
        return (Path.Combine(bundle, "rootfs"), config.RootElement.Clone());
    }

    [Fact]
    public async Task Hello_builds_offline_into_an_oci_layout()
    {
        var script = RepositoryFiles.CopyExample("hello", _folder);
        Assert.True(await Orchestrate(script) == ExitCodes.Ok, Output);

        var layout = Path.Combine(Path.GetDirectoryName(script)!, "out", "hello");
        var (rootfs, config) = await Unpack(layout);
        Assert.StartsWith("built ", await File.ReadAllTextAsync(Path.Combine(rootfs, "srv", "motd")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
            File.GetUnixFileMode(Path.Combine(rootfs, "usr", "local", "bin", "hello")));
        Assert.Equal("busybox", new FileInfo(Path.Combine(rootfs, "bin", "sh")).LinkTarget?.Split('/').Last());

        var process = config.GetProperty("process");
        Assert.Equal("/srv", process.GetProperty("cwd").GetString());
        Assert.Equal(65534, process.GetProperty("user").GetProperty("uid").GetInt32());
        Assert.Equal(["/usr/local/bin/hello"], process.GetProperty("args").EnumerateArray().Select(a => a.GetString()));
        Assert.Contains("GREETING=Hello from a daemonless build", process.GetProperty("env").EnumerateArray().Select(a => a.GetString()));
        Assert.Matches(@"hello → .*out/hello@sha256:[0-9a-f]{64}", _out.ToString());
    }

    [Fact]
    public async Task Multistage_runs_both_build_stages_and_combines_their_output()
    {
        var script = RepositoryFiles.CopyExample("multistage", _folder);
        Assert.True(await Orchestrate(script) == ExitCodes.Ok, Output);

        var (rootfs, config) = await Unpack(Path.Combine(Path.GetDirectoryName(script)!, "out", "app"));
        Assert.Contains("httpd -f -p 8080", await File.ReadAllTextAsync(Path.Combine(rootfs, "app", "bin", "server")));
        Assert.Contains("port=8080", await File.ReadAllTextAsync(Path.Combine(rootfs, "app", "server.conf")));
        Assert.DoesNotContain("\n", (await File.ReadAllTextAsync(Path.Combine(rootfs, "app", "www", "index.html"))).TrimEnd());
        Assert.Equal(["/app/bin/server"], config.GetProperty("process").GetProperty("args").EnumerateArray().Select(a => a.GetString()));
        foreach (var stage in new[] { "backend", "frontend", "app" }) Assert.Contains($"[{stage}] done", _out.ToString());
    }

    [Fact]
    public async Task Multistage_plan_has_no_path_between_the_two_build_stages()
    {
        var script = RepositoryFiles.CopyExample("multistage", _folder);
        Assert.True(await Orchestrate(script, "--plan", "--plan-format", "json") == ExitCodes.Ok, Output);
        using var plan = JsonDocument.Parse(_out.ToString());
        var edges = plan.RootElement.GetProperty("edges").EnumerateArray()
            .Select(e => (From: e.GetProperty("from").GetString()!, To: e.GetProperty("to").GetString()!)).ToList();

        bool Reaches(string from, string to) => from == to || edges.Where(e => e.From == from).Any(e => Reaches(e.To, to));
        Assert.False(Reaches("backend", "frontend"));
        Assert.False(Reaches("frontend", "backend"));
        Assert.True(Reaches("backend", "app") && Reaches("frontend", "app"));
    }

    [Fact]
    public async Task Hello_and_dockerfile_examples_plan()
    {
        Assert.True(await Orchestrate(RepositoryFiles.CopyExample("hello", _folder), "--plan") == ExitCodes.Ok, Output);
        Assert.Matches(@"● hello\s+image", _out.ToString());
        Assert.True(await Orchestrate(RepositoryFiles.CopyExample("dockerfile", _folder), "--plan") == ExitCodes.Ok, Output);
        Assert.Contains("greet/build", _out.ToString());
    }

    [Fact]
    public async Task The_repository_recipe_plans_the_executor_image()
    {
        var code = await Orchestrate(Path.Combine(RepositoryFiles.Root, "build.csx"), "--plan", "--plan-format", "json", "--build-arg", "REGISTRY=registry.example.com/tools");
        Assert.True(code == ExitCodes.Ok, Output);
        using var plan = JsonDocument.Parse(_out.ToString());
        var node = Assert.Single(plan.RootElement.GetProperty("nodes").EnumerateArray());
        Assert.Equal("executor", node.GetProperty("name").GetString());
        Assert.Equal(["registry.example.com/tools/executor:dev"], node.GetProperty("destinations").EnumerateArray().Select(d => d.GetString()));
        Assert.Contains(node.GetProperty("steps").EnumerateArray(), s => s.GetProperty("text").GetString()!.Contains("/orchestrator/dotnet-orchestrate"));
    }

    [Fact]
    public async Task A_bad_recipe_exits_2_pointing_at_its_line()
    {
        var script = Path.Combine(_folder, "build.csx");
        await File.WriteAllTextAsync(script, "// a broken recipe\nvar registry = \"localhost:5000\";\nImage(\"x\").From(\"busybox\").Run(\"\").Output(\"out/x\");\n");
        Assert.Equal(ExitCodes.UsageError, await Orchestrate(script, "--plan"));
        Assert.Matches(@"build\.csx\(3,\d+\): error: image 'x': RUN needs a command", _err.ToString());
    }

    [Fact]
    public async Task Missing_script_exits_2_and_names_it()
    {
        Assert.Equal(ExitCodes.UsageError, await Orchestrate(Path.Combine(_folder, "nope.csx"), "--plan"));
        Assert.Contains("nope.csx' not found", _err.ToString());
    }

    [Fact]
    public async Task A_compile_error_exits_2_with_the_compiler_message()
    {
        var script = Path.Combine(_folder, "build.csx");
        await File.WriteAllTextAsync(script, "var x = 1;\nImage(\"x\").From(\"busybox\").Rnu(\"true\");\n");
        Assert.Equal(ExitCodes.UsageError, await Orchestrate(script, "--plan"));
        Assert.Matches(@"build\.csx\(2,\d+\): error CS1061", _err.ToString());
    }

    [Fact]
    public async Task A_failing_run_exits_1_with_the_command_the_code_and_its_output()
    {
        var script = Path.Combine(_folder, "build.csx");
        CopyBusyboxRecipe();
        await File.WriteAllTextAsync(script, "#load \"busybox.csx\"\nImage(\"x\").From(BusyboxBase()).Run(\"echo about to fail; exit 3\").Output(\"out/x\");\n");
        Assert.Equal(ExitCodes.BuildFailed, await Orchestrate(script));
        var error = _err.ToString();
        Assert.Contains("build.csx(2,", error);
        Assert.Contains("exited with code 3", error);
        Assert.Contains("about to fail", error);
        Assert.False(Directory.Exists(Path.Combine(_folder, "out", "x")), "no output is written for a failed build");
        Assert.Empty(Directory.Exists(Path.Combine(Cache, "tmp")) ? Directory.GetFileSystemEntries(Path.Combine(Cache, "tmp")) : []);
    }

    [Fact]
    public async Task A_run_failing_inside_a_loaded_recipe_names_the_recipe_line_and_the_scripts_call()
    {
        CopyBusyboxRecipe();
        await File.WriteAllTextAsync(Path.Combine(_folder, "checks.csx"),
            "RecipeBuilder Checked(string name, string check, RecipeBuilder from) =>\n    Image(name).From(from).Run(check).Output(\"out/\" + name);\n");
        var script = Path.Combine(_folder, "build.csx");
        await File.WriteAllTextAsync(script, "#load \"busybox.csx\"\n#load \"checks.csx\"\nvar box = BusyboxBase();\nChecked(\"fine\", \"true\", box);\nChecked(\"broken\", \"exit 4\", box);\n");
        Assert.True(await Orchestrate(script, "--jobs", "1") == ExitCodes.BuildFailed, Output);
        var error = _err.ToString();
        Assert.Matches(@"checks\.csx\(2,\d+\): RUN \(called from [^)]*build\.csx\(5,1\)\): .*exited with code 4", error);
    }

    [Fact]
    public async Task A_secret_is_readable_in_its_step_and_nowhere_in_the_image_or_the_output()
    {
        const string secretValue = "s3cret-token-7f1c";
        var secretFile = Path.Combine(_folder, "token.txt");
        await File.WriteAllTextAsync(secretFile, secretValue);
        CopyBusyboxRecipe();
        var script = Path.Combine(_folder, "build.csx");
        var hash = Orchestrator.Oci.Digest.Sha256(System.Text.Encoding.UTF8.GetBytes(secretValue)).Hex;
        await File.WriteAllTextAsync(script, $$"""
            #load "busybox.csx"
            Image("s")
                .From(BusyboxBase())
                .Run("test \"$(sha256sum < /run/secrets/token | cut -c1-64)\" = {{hash}} && echo seen > /seen", o => o.Secret("token"))
                .Run("cat /run/secrets/token 2>/dev/null || echo absent > /later")
                .Output("out/s");
            """);

        Assert.True(await Orchestrate(script, "--secret", $"id=token,src={secretFile}", "-v") == ExitCodes.Ok, Output);
        var layout = Path.Combine(_folder, "out", "s");
        var (rootfs, _) = await Unpack(layout);
        Assert.Equal("seen", (await File.ReadAllTextAsync(Path.Combine(rootfs, "seen"))).Trim());
        Assert.Equal("absent", (await File.ReadAllTextAsync(Path.Combine(rootfs, "later"))).Trim());
        Assert.False(Directory.Exists(Path.Combine(rootfs, "run", "secrets")) && Directory.EnumerateFileSystemEntries(Path.Combine(rootfs, "run", "secrets")).Any());

        foreach (var blob in Directory.EnumerateFiles(Path.Combine(layout, "blobs"), "*", SearchOption.AllDirectories))
        {
            await using var file = File.OpenRead(blob);
            var gzip = file.ReadByte() == 0x1f;
            file.Position = 0;
            using var content = new MemoryStream();
            await (gzip ? new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress) : (Stream)file).CopyToAsync(content);
            Assert.DoesNotContain(secretValue, System.Text.Encoding.Latin1.GetString(content.ToArray()));
        }
        Assert.DoesNotContain(secretValue, Output);
    }

    [Fact]
    public async Task A_required_secret_that_was_not_given_fails_the_step_with_the_flag_to_pass()
    {
        var script = await WriteBusyboxScriptAsync("Image(\"s\").From(BusyboxBase()).Run(\"true\", o => o.Secret(\"npmrc\", required: true)).Output(\"out/s\");\n");
        Assert.Equal(ExitCodes.BuildFailed, await Orchestrate(script));
        Assert.Contains("--secret id=npmrc,src=PATH", _err.ToString());
    }

    [Fact]
    public async Task A_secret_flag_with_a_missing_file_is_a_usage_error()
    {
        Assert.Equal(ExitCodes.UsageError, await Orchestrate(RepositoryFiles.CopyExample("hello", _folder), "--secret", "id=x,src=/no/such/file", "--plan"));
        Assert.Contains("file '/no/such/file' not found", _err.ToString());
    }

    [Fact]
    public async Task Interrupting_a_run_step_leaves_no_process_mount_or_temporary_folder()
    {
        CopyBusyboxRecipe();
        var script = Path.Combine(_folder, "build.csx");
        var marker = "orchestrator-interrupt-" + Guid.NewGuid().ToString("N")[..8];
        await File.WriteAllTextAsync(script, $"#load \"busybox.csx\"\nImage(\"slow\").From(BusyboxBase()).Run(\"echo sleeping-now; exec sleep 300 # {marker}\").Output(\"out/slow\");\n");

        using var cancel = new CancellationTokenSource();
        var output = new StringWriter();
        var run = CliApp.RunAsync([script, "--cache-dir", Cache, "--progress", "plain"], TextWriter.Synchronized(output), _err, cancel.Token);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
            while (!output.ToString().Contains("[slow] sleeping-now"))
            {
                if (run.IsCompleted) Assert.Fail("the build ended before it could be interrupted:\n" + output + _err);
                await Task.Delay(50, timeout.Token);
            }
        await cancel.CancelAsync();

        Assert.Equal(ExitCodes.Cancelled, await run);
        var processes = await ExternalTool.RunAsync("pgrep", "-f", marker);
        Assert.True(processes.ExitCode == 1, "still running: " + processes.StandardOutput);
        Assert.DoesNotContain(Cache, await File.ReadAllTextAsync("/proc/self/mountinfo"));
        var temporary = Path.Combine(Cache, "tmp");
        Assert.Empty(Directory.Exists(temporary) ? Directory.GetFileSystemEntries(temporary) : []);
        Assert.False(Directory.Exists(Path.Combine(_folder, "out", "slow")));
    }

    [Fact]
    public async Task Reproducible_builds_in_separate_caches_give_the_same_digest()
    {
        await File.WriteAllTextAsync(Path.Combine(_folder, "app.txt"), "same input\n");
        var script = await WriteBusyboxScriptAsync("Image(\"r\").From(BusyboxBase()).Context(\".\").Copy(\"app.txt\", \"/app/\").Run(\"mkdir -p /data && echo made > /data/out\").Env(\"MODE\", \"prod\").Output(\"out/r\");\n");

        async Task<string> BuildAsync(string cache)
        {
            _out.GetStringBuilder().Clear();
            Assert.True(await CliApp.RunAsync([script, "--cache-dir", cache, "--progress", "plain", "--reproducible"], _out, _err) == ExitCodes.Ok, Output);
            return System.Text.RegularExpressions.Regex.Match(_out.ToString(), @"r → .*@(sha256:[0-9a-f]{64})").Groups[1].Value;
        }

        var first = await BuildAsync(Path.Combine(_folder, "cache-a"));
        File.SetLastWriteTimeUtc(Path.Combine(_folder, "app.txt"), DateTime.UtcNow.AddDays(-3));
        Directory.Delete(Path.Combine(_folder, "out"), recursive: true);
        var second = await BuildAsync(Path.Combine(_folder, "cache-b"));
        Assert.StartsWith("sha256:", first);
        Assert.Equal(first, second);
    }

    [Fact]
    public async Task Copy_with_an_unknown_chown_user_names_the_user_and_the_fix()
    {
        await File.WriteAllTextAsync(Path.Combine(_folder, "app.txt"), "x");
        var script = await WriteBusyboxScriptAsync("Image(\"c\").From(BusyboxBase()).Context(\".\").Copy(\"app.txt\", \"/app/\", chown: \"ghost\").Output(\"out/c\");\n");
        Assert.Equal(ExitCodes.BuildFailed, await Orchestrate(script));
        Assert.Contains("build.csx(2,", _err.ToString());
        Assert.Contains("no user 'ghost' in the image's /etc/passwd", _err.ToString());
    }

    [Fact]
    public async Task A_missing_copy_source_names_it_and_the_context()
    {
        var script = await WriteBusyboxScriptAsync("Image(\"c\").From(BusyboxBase()).Context(\".\").Copy(\"src2/\", \"/app/\").Output(\"out/c\");\n");
        Assert.Equal(ExitCodes.BuildFailed, await Orchestrate(script));
        Assert.Contains("build.csx(2,", _err.ToString());
        Assert.Contains("COPY source 'src2/' not found in " + _folder, _err.ToString());
    }
}
