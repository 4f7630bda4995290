using System.Runtime.Versioning;
using System.Text.Json;
using Orchestrator.Cli;
using Orchestrator.Testing;
using Orchestrator.Tests.Conformance;

namespace Orchestrator.Tests.Cli;

/// <summary>
/// Kaniko integration Dockerfiles that built differently here than with BuildKit v0.11.6, built FROM scratch by
/// the executor into an OCI layout; skopeo reads the config and umoci unpacks the root filesystem.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ExecutorBuildKitParityTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orchestrator-buildkit-parity-").FullName;
    private readonly StringWriter _out = new();
    private readonly StringWriter _err = new();

    public void Dispose() => ConformanceFolders.Delete(_folder);

    private string Output => $"stdout:\n{_out}\nstderr:\n{_err}";

    private string Context => Path.Combine(_folder, "context");

    private string Layout => Path.Combine(_folder, "layout");

    private async Task WriteAsync(string path, string content)
    {
        var file = Path.Combine(Context, path);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, content);
    }

    /// <summary>Builds the context's Dockerfile with the executor; returns the image config as skopeo reads it.</summary>
    private async Task<JsonElement> BuildAsync(string dockerfile, params string[] extra)
    {
        await WriteAsync("Dockerfile", dockerfile);
        var code = await CliApp.RunAsync(["executor", "-f", "Dockerfile", "-c", Context, "--no-push", "--oci-layout-path", Layout, "--cache-dir", Path.Combine(_folder, "cache"), .. extra], _out, _err);
        Assert.True(code == ExitCodes.Ok, Output);
        var inspect = (await ExternalTool.RunAsync("skopeo", "--insecure-policy", "inspect", "--config", $"oci:{Layout}:latest")).EnsureSuccess();
        using var json = JsonDocument.Parse(inspect.StandardOutput);
        return json.RootElement.Clone();
    }

    private async Task<string> UnpackAsync()
    {
        var bundle = Path.Combine(_folder, "bundle-" + Guid.NewGuid().ToString("N"));
        (await ExternalTool.RunAsync("umoci", ["unpack", "--rootless", "--image", $"{Layout}:latest", bundle])).EnsureSuccess();
        return Path.Combine(bundle, "rootfs");
    }

    private static string[] Strings(JsonElement config, string name) =>
        config.GetProperty("config").TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().Select(e => e.GetString()!).ToArray()
            : [];

    /// <summary>Kaniko's Dockerfile_test_cmd: the '#' after the JSON array is not a comment, and the exec form still clears the inherited CMD.</summary>
    [Fact]
    public async Task Entrypoint_json_followed_by_text_is_exec_form_and_clears_the_inherited_cmd()
    {
        var config = await BuildAsync("""
            FROM scratch AS first
            CMD ["mycmd"]
            FROM first
            ENTRYPOINT ["myentrypoint"] # This should clear out CMD in the config metadata
            """);
        Assert.Equal(["myentrypoint"], Strings(config, "Entrypoint"));
        Assert.Empty(Strings(config, "Cmd"));
    }

    /// <summary>BuildKit's emptyImage: FROM scratch is WorkingDir "/" and Docker's PATH; WORKDIR builds on "/".</summary>
    [Fact]
    public async Task From_scratch_works_in_the_root_with_dockers_path()
    {
        await WriteAsync("a.txt", "a\n");
        var dockerfile = "FROM scratch AS plain\nCOPY a.txt /\nFROM scratch\nWORKDIR app\nCOPY a.txt ./\n";

        var plain = await BuildAsync(dockerfile, "--target", "plain");
        Assert.Equal("/", plain.GetProperty("config").GetProperty("WorkingDir").GetString());
        Assert.Equal(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Strings(plain, "Env"));

        ConformanceFolders.Delete(Layout);
        var withWorkdir = await BuildAsync(dockerfile);
        Assert.Equal("/app", withWorkdir.GetProperty("config").GetProperty("WorkingDir").GetString());
        Assert.Equal("a\n", await File.ReadAllTextAsync(Path.Combine(await UnpackAsync(), "app", "a.txt")));
    }

    /// <summary>Kaniko's Dockerfile_test_maintainer: the config's top-level author, no label.</summary>
    [Fact]
    public async Task Maintainer_is_the_config_author()
    {
        var config = await BuildAsync("FROM scratch\nMAINTAINER nobody@domain.test\n");
        Assert.Equal("nobody@domain.test", config.GetProperty("author").GetString());
        Assert.False(config.GetProperty("config").TryGetProperty("Labels", out var labels) && labels.ValueKind == JsonValueKind.Object && labels.EnumerateObject().Any());
        Assert.Contains(config.GetProperty("history").EnumerateArray(), h => h.GetProperty("created_by").GetString()!.StartsWith("MAINTAINER nobody@domain.test", StringComparison.Ordinal));
    }

    /// <summary>Kaniko's Dockerfile_test_scratch: <c>ARG ${src}=…</c> declares the ARG named by the ENV before it.</summary>
    [Fact]
    public async Task Arg_names_are_expanded_like_kanikos_scratch_test()
    {
        await WriteAsync("context/foo", "foo\n");
        await WriteAsync("context/bar/bat", "bat\n");
        await WriteAsync("context/bar/baz", "baz\n");
        await WriteAsync("context/bar/bam/bat", "bam/bat\n");
        await BuildAsync("""
            FROM scratch
            # First, make sure simple arg replacement works
            ARG file
            COPY $file /foo
            # Check that setting a default value works
            ARG file2=context/bar/bat
            COPY $file2 /bat
            # Check that overriding a default value works
            ENV baz baz
            ENV src file3
            ARG ${src}=context/bar/${baz}
            COPY $file3 /baz
            # Check that setting an ENV will override the ARG
            ENV file context/bar/bam/bat
            COPY $file /env
            """, "--build-arg", "file=context/foo");

        var rootfs = await UnpackAsync();
        Assert.Equal(["foo\n", "bat\n", "baz\n", "bam/bat\n"], await Task.WhenAll(new[] { "foo", "bat", "baz", "env" }.Select(f => File.ReadAllTextAsync(Path.Combine(rootfs, f)))));
    }

    /// <summary>
    /// BuildKit's isArchivePath: plain, gzip, bzip2, xz and zstd tars are unpacked whatever their names; a
    /// compressed file that holds no tar is copied as it is.
    /// </summary>
    [Fact]
    public async Task Add_unpacks_tars_by_content_in_every_compression_docker_reads()
    {
        var sources = Directory.CreateDirectory(Path.Combine(_folder, "sources")).FullName;
        string[] kinds = ["plain", "gzip", "bzip2", "xz", "zstd"];
        foreach (var kind in kinds)
        {
            var folder = Directory.CreateDirectory(Path.Combine(sources, kind)).FullName;
            await File.WriteAllTextAsync(Path.Combine(folder, $"from-{kind}.txt"), kind + "\n");
            string[] option = kind == "plain" ? [] : [$"--{kind}"];
            Directory.CreateDirectory(Context);
            (await ExternalTool.RunAsync("tar", [.. option, "-cf", Path.Combine(Context, kind + ".data"), "-C", folder, "."])).EnsureSuccess();
        }
        await WriteAsync("notes.txt", "not a tar\n");
        (await ExternalTool.RunAsync("bzip2", "-k", Path.Combine(Context, "notes.txt"))).EnsureSuccess();

        await BuildAsync("FROM scratch\nADD plain.data gzip.data bzip2.data xz.data zstd.data notes.txt.bz2 /out/\n");

        var rootfs = await UnpackAsync();
        foreach (var kind in kinds)
        {
            Assert.Equal(kind + "\n", await File.ReadAllTextAsync(Path.Combine(rootfs, "out", $"from-{kind}.txt")));
            Assert.False(File.Exists(Path.Combine(rootfs, "out", kind + ".data")), kind);
        }
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(Context, "notes.txt.bz2")), await File.ReadAllBytesAsync(Path.Combine(rootfs, "out", "notes.txt.bz2")));
    }
}
