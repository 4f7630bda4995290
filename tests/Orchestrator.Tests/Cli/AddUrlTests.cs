using System.Runtime.Versioning;
using System.Text;
using Orchestrator.Cli;
using Orchestrator.Oci;
using Orchestrator.Testing;
using Orchestrator.Tests.Conformance;

namespace Orchestrator.Tests.Cli;

/// <summary>
/// ADD from http(s) URLs against a real HTTP server started by the test: file naming, mode, owner and
/// mtime checked in the image with umoci, the checksum and server errors checked for their messages and
/// for leaving nothing behind, and one Dockerfile built by us and by buildah bud and compared file by file.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class AddUrlTests(ConformanceEnvironment environment) : IClassFixture<ConformanceEnvironment>, IAsyncLifetime
{
    private static readonly DateTimeOffset Published = new(2021, 3, 4, 5, 6, 7, TimeSpan.Zero);
    private static readonly byte[] Tool = Encoding.UTF8.GetBytes("#!/bin/sh\necho tool 1.2\n");
    private static readonly byte[] Notes = Encoding.UTF8.GetBytes("release notes\n");

    private readonly string _folder = Directory.CreateTempSubdirectory("orchestrator-add-url-").FullName;
    private readonly StringWriter _out = new();
    private readonly StringWriter _err = new();
    private StaticFileServer _server = null!;

    public Task InitializeAsync()
    {
        _server = new StaticFileServer();
        _server.Serve("/dl/tool%201.2.sh", Tool, Published);
        _server.Serve("/dl/notes.txt", Notes, Published.AddDays(1));
        _server.Serve("/dl/no-date.txt", Notes);
        _server.Serve("/", Tool);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        ConformanceFolders.Delete(_folder);
    }

    private string Output => $"stdout:\n{_out}\nstderr:\n{_err}";

    private string Cache => Path.Combine(_folder, "cache");

    private string Url(string path) => _server.BaseUrl + path.TrimStart('/');

    private static string Sha256(byte[] content) => Digest.Sha256(content).ToString();

    /// <summary>A build.csx of one image FROM the busybox base in the registry, with <paramref name="steps"/> chained on.</summary>
    private async Task<int> BuildAsync(string steps, params string[] args)
    {
        var script = Path.Combine(_folder, "build.csx");
        await File.WriteAllTextAsync(script, $"Image(\"app\")\n    .From(\"{environment.Busybox}\")\n{steps}\n    .Output(\"out/app\");\n");
        return await CliApp.RunAsync([script, "--cache-dir", Cache, "--progress", "plain", "--insecure-registry", environment.Busybox.Split('/')[0], .. args], _out, _err);
    }

    private string Layout => Path.Combine(_folder, "out", "app");

    private async Task<string> UnpackAsync(string layout)
    {
        var bundle = Path.Combine(_folder, "bundle-" + Guid.NewGuid().ToString("N"));
        (await ExternalTool.RunAsync("umoci", ["unpack", "--rootless", "--image", $"{layout}:latest", bundle])).EnsureSuccess();
        return Path.Combine(bundle, "rootfs");
    }

    private static (int Uid, int Gid) Owner(string rootfs, string path)
    {
        var stat = ExternalTool.RunAsync("stat", ["-c", "%u %g", Path.Combine(rootfs, path.TrimStart('/'))]).GetAwaiter().GetResult().EnsureSuccess().StandardOutput.Split(' ');
        return (int.Parse(stat[0]), int.Parse(stat[1]));
    }

    [Fact]
    public async Task Downloads_name_the_file_after_the_url_with_mode_0600_root_owner_and_the_servers_time()
    {
        var code = await BuildAsync($"""
                .Add("{Url("/dl/tool%201.2.sh")}", "/downloads/")
                .Add("{Url("/dl/notes.txt?version=3#top")}", "/opt/renamed.txt")
                .Add("{Url("/dl/notes.txt")}", "/tmp")
                .Add("{Url("/dl/no-date.txt")}", "/exec/", chmod: "0755")
                .Add("{Url("/")}", "/unnamed/")
            """);
        Assert.True(code == ExitCodes.Ok, Output);

        var rootfs = await UnpackAsync(Layout);
        var tool = Path.Combine(rootfs, "downloads", "tool 1.2.sh");
        Assert.Equal(Tool, await File.ReadAllBytesAsync(tool));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tool));
        Assert.Equal(Published.UtcDateTime, File.GetLastWriteTimeUtc(tool));
        Assert.Equal((0, 0), Owner(rootfs, "/downloads/tool 1.2.sh"));
        Assert.Equal((UnixFileMode)0x1ED, File.GetUnixFileMode(Path.Combine(rootfs, "downloads")));

        var renamed = Path.Combine(rootfs, "opt", "renamed.txt");
        Assert.Equal(Notes, await File.ReadAllBytesAsync(renamed));
        Assert.Equal(Published.AddDays(1).UtcDateTime, File.GetLastWriteTimeUtc(renamed));
        // /tmp exists in the base, so the file goes into it under its URL name, as with Docker.
        Assert.Equal(Notes, await File.ReadAllBytesAsync(Path.Combine(rootfs, "tmp", "notes.txt")));
        Assert.Equal((UnixFileMode)0x1ED, File.GetUnixFileMode(Path.Combine(rootfs, "exec", "no-date.txt")));
        Assert.Equal(Tool, await File.ReadAllBytesAsync(Path.Combine(rootfs, "unnamed", "__unnamed__")));
    }

    [Fact]
    public async Task A_matching_checksum_adds_the_file()
    {
        Assert.True(await BuildAsync($"""    .Add("{Url("/dl/notes.txt")}", "/checked/", checksum: "{Sha256(Notes)}")""") == ExitCodes.Ok, Output);
        Assert.Equal(Notes, await File.ReadAllBytesAsync(Path.Combine(await UnpackAsync(Layout), "checked", "notes.txt")));
    }

    [Fact]
    public async Task A_wrong_checksum_fails_naming_the_url_and_both_digests_and_writes_nothing()
    {
        var wrong = Sha256(Tool);
        Assert.Equal(ExitCodes.BuildFailed, await BuildAsync($"""    .Add("{Url("/dl/notes.txt")}", "/checked/", checksum: "{wrong}")"""));
        var error = _err.ToString();
        Assert.Contains("build.csx(3,", error);
        Assert.Contains(Url("/dl/notes.txt"), error);
        Assert.Contains($"expected {wrong}", error);
        Assert.Contains($"got {Sha256(Notes)}", error);
        Assert.False(Directory.Exists(Layout), "a failed build writes no output");
        Assert.Empty(Directory.Exists(Path.Combine(Cache, "tmp")) ? Directory.GetFileSystemEntries(Path.Combine(Cache, "tmp")) : []);
    }

    [Fact]
    public async Task A_missing_file_fails_with_the_status_and_the_url_and_never_shows_credentials()
    {
        var withCredentials = Url("/dl/missing.tar.gz").Replace("http://", "http://deploy:s3cret-token@");
        Assert.Equal(ExitCodes.BuildFailed, await BuildAsync($"""    .Add("{withCredentials}", "/opt/")"""));
        var error = _err.ToString();
        Assert.Contains("404", error);
        Assert.Contains(Url("/dl/missing.tar.gz").Replace("http://", "http://***@"), error);
        Assert.DoesNotContain("s3cret-token", error);
        Assert.Contains("/dl/missing.tar.gz", string.Join(",", _server.Requests));
        Assert.False(Directory.Exists(Layout));
    }

    [Fact]
    public async Task An_unreachable_server_fails_naming_the_url()
    {
        var closed = $"http://127.0.0.1:{FreePort.Next()}/file.txt";
        Assert.Equal(ExitCodes.BuildFailed, await BuildAsync($"""    .Add("{closed}", "/opt/")"""));
        Assert.Contains($"ADD {closed}: the download failed", _err.ToString());
    }

    [Fact]
    public async Task A_checksum_that_is_no_sha256_digest_or_is_on_a_local_source_is_a_usage_error()
    {
        var code = await BuildAsync($"""
                .Context(".")
                .Add("{Url("/dl/notes.txt")}", "/a/", checksum: "md5:1234")
                .Add("local.txt", "/b/", checksum: "{Sha256(Notes)}")
            """, "--plan");
        Assert.Equal(ExitCodes.UsageError, code);
        var error = _err.ToString();
        Assert.Matches(@"build\.csx\(4,\d+\): error: image 'app': ADD checksum 'md5:1234' is not a SHA-256 digest", error);
        Assert.Matches(@"build\.csx\(5,\d+\): error: image 'app': ADD --checksum applies to URL sources only", error);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task The_same_dockerfile_gives_the_same_files_and_times_as_buildah()
    {
        var context = Directory.CreateDirectory(Path.Combine(_folder, "context")).FullName;
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), """
            ARG BUSYBOX
            FROM ${BUSYBOX}
            ARG FILES
            ADD ${FILES}/dl/tool%201.2.sh /downloads/
            ADD ${FILES}/dl/notes.txt?version=3 /opt/renamed.txt
            ADD ${FILES}/dl/notes.txt /tmp
            ADD --chown=1000:1000 ${FILES}/dl/no-date.txt ${FILES}/dl/notes.txt /many/
            """);
        var buildArgs = new Dictionary<string, string> { ["BUSYBOX"] = environment.Busybox, ["FILES"] = _server.BaseUrl.TrimEnd('/') };

        var ours = Path.Combine(_folder, "ours");
        List<string> arguments = ["executor", "-f", "Dockerfile", "-c", context, "--no-push", "--oci-layout-path", ours, "--cache-dir", Cache];
        foreach (var (name, value) in buildArgs) arguments.AddRange(["--build-arg", $"{name}={value}"]);
        Assert.True(await CliApp.RunAsync([.. arguments], _out, _err) == ExitCodes.Ok, Output);
        var theirs = Path.Combine(_folder, "buildah");
        await new BuildahBuilder(environment).BuildAsync(context, buildArgs, "localhost/conformance/add-url:latest", theirs);

        var ourRootfs = await UnpackAsync(ours);
        var theirRootfs = await UnpackAsync(theirs);
        var ourSnapshot = RootfsSnapshot.Read(ourRootfs);
        var theirSnapshot = BuildahQuirks.WithoutStubs(RootfsSnapshot.Read(theirRootfs), ourSnapshot, []);
        var differences = new RootfsComparer([]).Compare(theirSnapshot, ourSnapshot).ToList();
        Assert.True(differences.Count == 0, RootfsComparer.Report(differences));

        foreach (var file in new[] { "downloads/tool 1.2.sh", "opt/renamed.txt", "tmp/notes.txt", "many/notes.txt" })
            Assert.Equal(File.GetLastWriteTimeUtc(Path.Combine(theirRootfs, file)), File.GetLastWriteTimeUtc(Path.Combine(ourRootfs, file)));
    }
}
