using System.Text.Json;
using Orchestrator.Cli;
using Orchestrator.Testing;

namespace Orchestrator.Tests.Cli;

/// <summary>
/// The Kaniko-compatible executor against a real registry: a busybox base is pushed there by a
/// build, then `executor` builds the Dockerfile example FROM it with Kaniko's flags, pushes, and
/// writes digest files; skopeo and umoci check the result.
/// </summary>
public sealed class ExecutorCommandTests(RegistryFixture registry) : IClassFixture<RegistryFixture>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orchestrator-executor-").FullName;
    private readonly StringWriter _out = new();
    private readonly StringWriter _err = new();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Cache => Path.Combine(_folder, "cache");

    private string Output => $"stdout:\n{_out}\nstderr:\n{_err}";

    private Task<int> Orchestrate(params string[] args) => CliApp.RunAsync(args, _out, _err);

    /// <summary>Pushes a busybox base image to the registry with a build script, returns its reference.</summary>
    private async Task<string> PushBusyboxBaseAsync()
    {
        var script = Path.Combine(_folder, "base", "build.csx");
        Directory.CreateDirectory(Path.GetDirectoryName(script)!);
        File.Copy(Path.Combine(RepositoryFiles.Root, "recipes", "busybox.csx"), Path.Combine(_folder, "base", "busybox.csx"));
        var reference = $"{registry.Address}/library/busybox:1.36";
        await File.WriteAllTextAsync(script, $"#load \"busybox.csx\"\nImage(\"base\").From(BusyboxBase()).Destination(\"{reference}\");\n");
        Assert.True(await Orchestrate(script, "--cache-dir", Cache, "--progress", "plain") == ExitCodes.Ok, Output);
        return reference;
    }

    [Fact]
    public async Task Builds_a_dockerfile_with_kaniko_flags_and_pushes_it()
    {
        var baseImage = await PushBusyboxBaseAsync();
        var context = Path.Combine(_folder, "context");
        RepositoryFiles.CopyExample("dockerfile", context);
        var exampleDir = Path.Combine(context, "examples", "dockerfile");
        var destination = $"{registry.Address}/team/greet:1.0";
        var digestFile = Path.Combine(_folder, "digest");
        var nameFile = Path.Combine(_folder, "name-with-digest");

        var code = await Orchestrate("executor",
            "--dockerfile=Dockerfile", $"--context=dir://{exampleDir}",
            $"--destination={destination}", "--build-arg", $"BASE={baseImage}",
            "--label", "org.example.team=platform", $"--digest-file={digestFile}",
            $"--image-name-with-digest-file={nameFile}", "--cache-dir", Cache,
            "--snapshot-mode=redo", "--use-new-run", "--cleanup", "--verbosity=debug");
        Assert.True(code == ExitCodes.Ok, Output);

        var digest = (await File.ReadAllTextAsync(digestFile)).Trim();
        Assert.Matches("^sha256:[0-9a-f]{64}$", digest);
        Assert.Equal($"{registry.Address}/team/greet@{digest}", (await File.ReadAllTextAsync(nameFile)).Trim());

        var inspect = (await ExternalTool.RunAsync("skopeo", "inspect", "--tls-verify=false", $"docker://{destination}")).EnsureSuccess();
        using var json = JsonDocument.Parse(inspect.StandardOutput);
        Assert.Equal(digest, json.RootElement.GetProperty("Digest").GetString());
        Assert.Equal("platform", json.RootElement.GetProperty("Labels").GetProperty("org.example.team").GetString());

        var layout = Path.Combine(_folder, "layout");
        (await ExternalTool.RunAsync("skopeo", "copy", "--src-tls-verify=false", $"docker://{destination}", $"oci:{layout}:latest")).EnsureSuccess();
        var bundle = Path.Combine(_folder, "bundle");
        (await ExternalTool.RunAsync("umoci", "unpack", "--rootless", "--image", $"{layout}:latest", bundle)).EnsureSuccess();
        Assert.Contains("hello, $NAME", await File.ReadAllTextAsync(Path.Combine(bundle, "rootfs", "usr", "local", "bin", "greet")));
        Assert.True(File.Exists(Path.Combine(bundle, "rootfs", "bin", "busybox")));
    }

    [Fact]
    public async Task Writes_a_tar_without_pushing()
    {
        var baseImage = await PushBusyboxBaseAsync();
        var context = Path.Combine(_folder, "context");
        RepositoryFiles.CopyExample("dockerfile", context);
        var tar = Path.Combine(_folder, "image.tar");
        var code = await Orchestrate("executor", "-f", "Dockerfile", "-c", Path.Combine(context, "examples", "dockerfile"),
            "--no-push", $"--tar-path={tar}", "--build-arg", $"BASE={baseImage}", "--target", "build", "--cache-dir", Cache);
        Assert.True(code == ExitCodes.Ok, Output);
        var inspect = (await ExternalTool.RunAsync("skopeo", "inspect", $"docker-archive:{tar}")).EnsureSuccess();
        Assert.Contains("\"Layers\"", inspect.StandardOutput);
    }

    [Fact]
    public async Task Programs_named_like_the_sandboxes_host_tools_in_the_current_folder_are_never_run()
    {
        var baseImage = await PushBusyboxBaseAsync();
        var context = Path.Combine(_folder, "context");
        Directory.CreateDirectory(context);
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), "ARG BASE\nFROM ${BASE}\nRUN echo ran > /ran\n");
        // The build starts in a folder that holds impostors of what the sandbox runs on the host.
        var impostors = Path.Combine(_folder, "impostors");
        Directory.CreateDirectory(impostors);
        foreach (var name in new[] { "env", "unshare", "setpriv", "sh", "mount" })
        {
            var path = Path.Combine(impostors, name);
            await File.WriteAllTextAsync(path, "#!/bin/sh\necho impostor ran >&2\nexit 97\n");
            File.SetUnixFileMode(path, (UnixFileMode)0x1ED);
        }
        var tar = Path.Combine(_folder, "image.tar");
        var result = await ExternalTool.RunAsync("dotnet",
            [typeof(CliApp).Assembly.Location, "executor", "-f", "Dockerfile", "-c", context, "--no-push", $"--tar-path={tar}",
             "--build-arg", $"BASE={baseImage}", "--cache-dir", Cache],
            workingDirectory: impostors);

        Assert.True(result.ExitCode == ExitCodes.Ok, result.StandardOutput + result.StandardError);
        Assert.DoesNotContain("impostor", result.StandardOutput + result.StandardError);
        Assert.Contains("RUN echo ran", result.StandardOutput + result.StandardError);
    }

    [Fact]
    public async Task A_dockerfile_with_copy_from_gives_the_same_image_from_executor_and_from_a_build_script()
    {
        var baseImage = await PushBusyboxBaseAsync();
        var context = Path.Combine(_folder, "context");
        RepositoryFiles.CopyExample("dockerfile", context);
        var exampleDir = Path.Combine(context, "examples", "dockerfile");

        var fromExecutor = Path.Combine(_folder, "executor-layout");
        Assert.True(await Orchestrate("executor", "-f", "Dockerfile", "-c", exampleDir, "--no-push", $"--oci-layout-path={fromExecutor}",
            "--build-arg", $"BASE={baseImage}", "--reproducible", "--cache-dir", Cache) == ExitCodes.Ok, Output);

        // The script names the image 'greet', so the import calls the first stage 'greet/build'; the executor calls it 'image/build'.
        var fromScript = Path.Combine(_folder, "script-layout");
        var script = Path.Combine(exampleDir, "parity.csx");
        await File.WriteAllTextAsync(script, $"Dockerfile(\"Dockerfile\", name: \"greet\").Output(\"{fromScript}\");\n");
        Assert.True(await Orchestrate(script, "--build-arg", $"BASE={baseImage}", "--reproducible", "--cache-dir", Cache, "--progress", "plain") == ExitCodes.Ok, Output);

        var executorConfig = await LayoutConfigAsync(fromExecutor);
        Assert.Contains("COPY --from=build /out/greet /usr/local/bin/greet", executorConfig);
        Assert.Equal(executorConfig, await LayoutConfigAsync(fromScript));
        Assert.Equal(LayoutManifestDigest(fromExecutor), LayoutManifestDigest(fromScript));
    }

    private static string LayoutManifestDigest(string layout)
    {
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(layout, "index.json")));
        return index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!;
    }

    private static async Task<string> LayoutConfigAsync(string layout)
    {
        var inspect = (await ExternalTool.RunAsync("skopeo", "inspect", "--config", $"oci:{layout}")).EnsureSuccess();
        return inspect.StandardOutput;
    }

    [Fact]
    public async Task A_base_is_read_through_its_registry_map_mirror_when_its_own_registry_cannot_be_reached()
    {
        var baseImage = await PushBusyboxBaseAsync();
        var context = Path.Combine(_folder, "context");
        RepositoryFiles.CopyExample("dockerfile", context);
        var unreachable = "registry.invalid:5000";

        var code = await Orchestrate("executor", "-f", "Dockerfile", "-c", Path.Combine(context, "examples", "dockerfile"), "--no-push",
            "--build-arg", $"BASE={baseImage.Replace(registry.Address, unreachable)}", $"--registry-map={unreachable}={registry.Address}", "--cache-dir", Cache);

        Assert.True(code == ExitCodes.Ok, Output);
    }

    [Fact]
    public async Task A_registry_map_that_is_not_registry_equals_mirror_is_a_usage_error()
    {
        var context = Directory.CreateDirectory(Path.Combine(_folder, "empty")).FullName;
        Assert.Equal(ExitCodes.UsageError, await Orchestrate("executor", "-c", context, "--no-push", "--registry-map", "mirror.example.com"));
        Assert.Contains("is not REGISTRY=MIRROR", _err.ToString());
    }

    [Fact]
    public async Task Without_destination_or_no_push_it_says_what_to_pass()
    {
        var context = Directory.CreateDirectory(Path.Combine(_folder, "empty")).FullName;
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), "FROM scratch\n");
        Assert.Equal(ExitCodes.UsageError, await Orchestrate("executor", "-c", context));
        Assert.Contains("--destination", _err.ToString());
    }

    [Fact]
    public async Task A_missing_dockerfile_is_a_usage_error()
    {
        var context = Directory.CreateDirectory(Path.Combine(_folder, "empty")).FullName;
        Assert.Equal(ExitCodes.UsageError, await Orchestrate("executor", "-c", context, "--no-push"));
        Assert.Contains("--dockerfile 'Dockerfile' not found", _err.ToString());
    }

    [Fact]
    public async Task A_base_that_is_not_in_the_registry_fails_naming_the_image()
    {
        var context = Directory.CreateDirectory(Path.Combine(_folder, "missing-base")).FullName;
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), $"FROM {registry.Address}/library/nope:1\nRUN true\n");
        var code = await Orchestrate("executor", "-c", context, "--no-push", "--cache-dir", Cache);
        Assert.Equal(ExitCodes.BuildFailed, code);
        Assert.Contains("library/nope", _err.ToString());
        Assert.Contains(registry.Address, _err.ToString());
    }
}
