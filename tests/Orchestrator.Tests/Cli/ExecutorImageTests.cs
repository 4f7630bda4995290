using System.Text.Json;
using Orchestrator.Cli;
using Orchestrator.Testing;
using Orchestrator.Testing.BaseImages;
using Orchestrator.Tests.Conformance;

namespace Orchestrator.Tests.Cli;

/// <summary>
/// The repository's build.csx builds the executor image the Kubernetes backend runs: here on a base made from the
/// Debian test base plus the .NET runtime this test host runs on, with the CLI published by <c>dotnet publish</c>;
/// the image's own entrypoint then runs with <c>--help</c> inside the image's root filesystem (a RUN step of a
/// follow-up build, in the local sandbox).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ExecutorImageTests : IClassFixture<RegistryFixture>, IDisposable
{
    private readonly RegistryFixture _registry;
    private readonly string _folder = Directory.CreateTempSubdirectory("orchestrator-executor-image-").FullName;
    private readonly StringWriter _out = new();
    private readonly StringWriter _err = new();

    public ExecutorImageTests(RegistryFixture registry) => _registry = registry;

    public void Dispose() => TreeDeleter.Delete(_folder);

    private async Task<int> Orchestrate(params string[] args) =>
        await CliApp.RunAsync([.. args, "--cache-dir", Path.Combine(_folder, "cache"), "--progress", "plain"], _out, _err);

    private string Output => $"stdout:\n{_out}\nstderr:\n{_err}";

    [Fact]
    public async Task The_repositorys_recipe_builds_an_executor_image_whose_entrypoint_answers_help()
    {
        var runtimeBase = await PushRuntimeBaseAsync();
        var published = await PublishCliAsync();

        var code = await Orchestrate(Path.Combine(RepositoryFiles.Root, "build.csx"),
            "--build-arg", $"REGISTRY={_registry.Address}/orchestrator", "--build-arg", "VERSION=test",
            "--build-arg", $"RUNTIME_IMAGE={runtimeBase}", "--build-arg", "PACKAGES=", "--build-arg", $"EXECUTOR_FILES={published}");
        Assert.True(code == ExitCodes.Ok, Output);

        var image = $"{_registry.Address}/orchestrator/executor:test";
        var config = await ConfigAsync(image);
        var entrypoint = config.GetProperty("config").GetProperty("Entrypoint").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(["/orchestrator/dotnet-orchestrate", "executor"], entrypoint);
        Assert.Equal("test", config.GetProperty("config").GetProperty("Labels").GetProperty("org.opencontainers.image.version").GetString());

        // The entrypoint, as the image's config has it, run in the image's root filesystem.
        var probe = Path.Combine(_folder, "probe.csx");
        var exec = string.Join(", ", entrypoint.Append("--help").Select(a => JsonSerializer.Serialize(a)));
        await File.WriteAllTextAsync(probe, $"Image(\"probe\").From(\"{image}\").Run({exec});\n");
        code = await Orchestrate(probe, "--no-push");
        Assert.True(code == ExitCodes.Ok, Output);
        var help = _out.ToString();
        Assert.Contains("Build one Dockerfile like Kaniko's executor, with Kaniko's flags.", help);
        Assert.Contains("--destination", help);
        Assert.Contains("--skip-tls-verify", help);
    }

    [Fact]
    public async Task The_native_executor_build_makes_the_same_image_as_the_tool_and_points_scripts_to_the_tool()
    {
        var debian = await PushDebianAsync();
        var native = await PublishNativeExecutorAsync();
        Assert.Equal(["dotnet-orchestrate"], Directory.GetFiles(native).Select(f => Path.GetFileName(f)).ToArray()); // one program: no runtime, no symbol files

        var context = Directory.CreateDirectory(Path.Combine(_folder, "context")).FullName;
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"),
            $"FROM {debian}\nARG GREETING\nCOPY a.txt /srv/a.txt\nRUN cat /srv/a.txt > /srv/b.txt && echo \"$GREETING\" >> /srv/b.txt\nENV MODE=native\n");
        await File.WriteAllTextAsync(Path.Combine(context, "a.txt"), "from the context\n");
        string[] Arguments(string name) =>
        [
            "executor", "-f", Path.Combine(context, "Dockerfile"), "-c", context, "--build-arg", "GREETING=hello", "--reproducible",
            "--destination", $"{_registry.Address}/native/{name}:1", "--oci-layout-path", Path.Combine(_folder, name), "--cache-dir", Path.Combine(_folder, "cache-" + name),
        ];

        var run = await ExternalTool.RunAsync(Path.Combine(native, "dotnet-orchestrate"), Arguments("native"), TimeSpan.FromMinutes(5));
        Assert.True(run.ExitCode == 0, $"{run.StandardOutput}\n{run.StandardError}");
        Assert.Contains("step 3/4: RUN", run.StandardOutput + run.StandardError);
        Assert.True(await CliApp.RunAsync(Arguments("tool"), _out, _err) == ExitCodes.Ok, Output);
        Assert.Equal(LayoutManifest(Path.Combine(_folder, "tool")), LayoutManifest(Path.Combine(_folder, "native")));
        var config = await ConfigAsync($"{_registry.Address}/native/native:1");
        Assert.Contains("MODE=native", config.GetProperty("config").GetProperty("Env").EnumerateArray().Select(e => e.GetString()));

        var script = await ExternalTool.RunAsync(Path.Combine(native, "dotnet-orchestrate"), ["build", Path.Combine(context, "build.csx")]);
        Assert.Equal(ExitCodes.UsageError, script.ExitCode);
        Assert.Contains("dotnet tool install --global Orchestrator.Cli", script.StandardError);
    }

    private static string LayoutManifest(string layout)
    {
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(layout, "index.json")));
        return index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!;
    }

    private async Task<string> PushDebianAsync()
    {
        var debian = $"{_registry.Address}/test/debian:bookworm";
        await BaseImagePublisher.PublishAsync(await DebianMinbaseTarball.GetAsync(), debian, ["bash"], _folder);
        return debian;
    }

    /// <summary>
    /// The executor image's build (Orchestrator.Cli.csproj, <c>-p:OrchestratorExecutorOnly=true</c>): compiled ahead of time
    /// for this machine, into a folder of this test. Every warning of the native compiler fails it.
    /// </summary>
    private async Task<string> PublishNativeExecutorAsync()
    {
        var output = Path.Combine(_folder, "native-executor");
        var temp = Directory.CreateDirectory(Path.Combine(_folder, "tmp-native")).FullName;
        var result = await ExternalTool.RunAsync(Dotnet,
            ["publish", Path.Combine(RepositoryFiles.Root, "src", "Orchestrator.Cli", "Orchestrator.Cli.csproj"), "-c", "Release", "-r", System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier, "-p:OrchestratorExecutorOnly=true", "-o", output, "-v", "q", "-nologo"],
            TimeSpan.FromMinutes(15), // restores the native compiler package into the user's NuGet folder the first time
            environment: new Dictionary<string, string> { ["TMPDIR"] = temp, ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" });
        result.EnsureSuccess();
        return output;
    }

    /// <summary>Debian minbase plus the host's .NET runtime at /usr/share/dotnet (and /usr/bin/dotnet), as a registry image.</summary>
    private async Task<string> PushRuntimeBaseAsync()
    {
        var debian = await PushDebianAsync();

        var dotnetRoot = Path.GetDirectoryName(new FileInfo(Dotnet).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Dotnet)!;
        var runtime = Directory.GetDirectories(Path.Combine(dotnetRoot, "shared", "Microsoft.NETCore.App")).Select(Path.GetFileName).OfType<string>()
            .Where(v => v.StartsWith("10.", StringComparison.Ordinal)).Max(StringComparer.Ordinal)
            ?? throw new InvalidOperationException($"no .NET 10 runtime under {dotnetRoot}");
        var context = Path.Combine(_folder, "runtime");
        var target = Path.Combine(context, "usr", "share", "dotnet");
        CopyTree(Path.Combine(dotnetRoot, "shared", "Microsoft.NETCore.App", runtime), Path.Combine(target, "shared", "Microsoft.NETCore.App", runtime));
        CopyTree(Path.Combine(dotnetRoot, "host"), Path.Combine(target, "host"));
        File.Copy(Path.Combine(dotnetRoot, "dotnet"), Path.Combine(target, "dotnet"));
        Directory.CreateDirectory(Path.Combine(context, "usr", "bin"));
        File.CreateSymbolicLink(Path.Combine(context, "usr", "bin", "dotnet"), "../share/dotnet/dotnet");

        var reference = $"{_registry.Address}/test/dotnet-runtime:10";
        var script = Path.Combine(_folder, "runtime.csx");
        await File.WriteAllTextAsync(script, $"Image(\"runtime\").From(\"{debian}\").Context(\"runtime\").Copy(\".\", \"/\").Destination(\"{reference}\");\n");
        Assert.True(await Orchestrate(script) == ExitCodes.Ok, Output);
        return reference;
    }

    /// <summary><c>dotnet publish</c> of the CLI as built for these tests, into a folder of this test (its own TMPDIR too).</summary>
    private async Task<string> PublishCliAsync()
    {
        var output = Path.Combine(_folder, "executor");
        var temp = Directory.CreateDirectory(Path.Combine(_folder, "tmp")).FullName;
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var result = await ExternalTool.RunAsync(Dotnet,
            ["publish", Path.Combine(RepositoryFiles.Root, "src", "Orchestrator.Cli", "Orchestrator.Cli.csproj"), "-c", configuration, "--no-build", "-o", output, "-v", "q", "-nologo"],
            TimeSpan.FromMinutes(5),
            environment: new Dictionary<string, string> { ["TMPDIR"] = temp, ["DOTNET_CLI_HOME"] = temp, ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" });
        result.EnsureSuccess();
        Assert.True(File.Exists(Path.Combine(output, "dotnet-orchestrate")), "dotnet publish wrote no app host dotnet-orchestrate");
        return output;
    }

    /// <summary>The dotnet host running these tests (its runtime is what the image gets).</summary>
    private static string Dotnet { get; } =
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host
        : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(p => Path.Combine(p, "dotnet")).FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("dotnet not found on PATH");

    private static void CopyTree(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var directory in Directory.GetDirectories(source, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(target, Path.GetRelativePath(source, directory)));
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(target, Path.GetRelativePath(source, file));
            File.Copy(file, copy);
            File.SetUnixFileMode(copy, File.GetUnixFileMode(file));
        }
    }

    private static async Task<JsonElement> ConfigAsync(string reference)
    {
        var inspect = (await ExternalTool.RunAsync("skopeo", "inspect", "--config", "--tls-verify=false", $"docker://{reference}")).EnsureSuccess();
        using var json = JsonDocument.Parse(inspect.StandardOutput);
        return json.RootElement.Clone();
    }
}
