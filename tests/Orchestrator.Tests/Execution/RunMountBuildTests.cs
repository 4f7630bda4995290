using System.Runtime.Versioning;
using System.Text.Json;
using Orchestrator.Cli;
using Orchestrator.Tests.Caching;
using Orchestrator.Tests.Conformance;
using Orchestrator.Tests.Layers;

namespace Orchestrator.Tests.Execution;

/// <summary>
/// RUN bind and tmpfs mounts and ONBUILD end to end: real builds through the executor command on the suite's busybox
/// base, in both sandboxes where this process may use them (the chroot fallback needs root), read back with umoci.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class RunMountBuildTests(ConformanceEnvironment environment) : IClassFixture<ConformanceEnvironment>, IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    public static IEnumerable<object[]> Sandboxes() => Stat.IsRoot ? [["overlay"], ["chroot"]] : [["overlay"]];

    [Theory]
    [MemberData(nameof(Sandboxes))]
    public async Task A_bound_file_is_readable_in_the_run_and_neither_it_nor_rw_writes_reach_the_layer(string sandbox)
    {
        var context = Context("""
            ARG BUSYBOX
            FROM ${BUSYBOX}
            RUN mkdir -p /srv/data && echo image > /srv/data/own.txt
            RUN --mount=type=bind,source=token.txt,target=/mnt/in/token.txt cat /mnt/in/token.txt > /seen.txt
            RUN --mount=type=bind,source=data,target=/srv/data,rw echo scribble > /srv/data/new.txt && rm /srv/data/a.txt && ls /srv/data > /rw-saw.txt
            RUN --mount=type=bind,source=data,target=/srv/data if echo x > /srv/data/x 2>/dev/null; then echo writable; else echo read-only; fi > /ro.txt
            RUN --mount=type=tmpfs,target=/var/scratch,size=1m echo t > /var/scratch/t && ls /var/scratch > /tmpfs-saw.txt
            """, ("token.txt", "bound-content\n"), ("data/a.txt", "a\n"), ("data/b.txt", "b\n"));

        var layout = await BuildAsync(context, sandbox);
        var rootfs = RootfsSnapshot.RootfsFolder(layout);
        await RootfsSnapshot.UnpackAsync(layout);

        Assert.Equal("bound-content\n", File.ReadAllText(Path.Combine(rootfs, "seen.txt")));
        Assert.False(Directory.Exists(Path.Combine(rootfs, "mnt")), "the bind's mount point reached the image");
        Assert.Equal("b.txt\nnew.txt\n", File.ReadAllText(Path.Combine(rootfs, "rw-saw.txt")));
        // What the image had at the target is back, and nothing the rw step wrote is there.
        Assert.Equal(["own.txt"], Directory.GetFileSystemEntries(Path.Combine(rootfs, "srv", "data")).Select(Path.GetFileName));
        Assert.Equal("read-only\n", File.ReadAllText(Path.Combine(rootfs, "ro.txt")));
        Assert.Equal("t\n", File.ReadAllText(Path.Combine(rootfs, "tmpfs-saw.txt")));
        Assert.False(Directory.Exists(Path.Combine(rootfs, "var", "scratch")));
        Assert.False(File.Exists(Path.Combine(rootfs, "token.txt")));
    }

    [Fact]
    public async Task A_changed_bind_source_runs_the_step_again_and_other_context_changes_keep_it()
    {
        var context = Context("""
            ARG BUSYBOX
            FROM ${BUSYBOX}
            WORKDIR /src
            RUN --mount=type=bind,source=go.sum,target=go.sum echo "ran-$((1+1))" && cat go.sum > /deps.txt
            """, ("go.sum", "v1\n"), ("main.go", "package main\n"), ("ignored.log", "x"), (".dockerignore", "*.log\n"));
        var cache = Path.Combine(_temp.Path, "cache");

        var cold = await CachedBuildAsync(context, cache);
        File.WriteAllText(Path.Combine(context, "main.go"), "package main // edited\n");
        var unrelated = await CachedBuildAsync(context, cache);
        File.WriteAllText(Path.Combine(context, "go.sum"), "v2\n");
        var changed = await CachedBuildAsync(context, cache);

        Assert.Equal([2], cold.RanSteps);
        Assert.Empty(unrelated.RanSteps);
        Assert.Equal([1, 2], unrelated.CachedSteps);
        Assert.Equal(cold.Digest, unrelated.Digest);
        Assert.Equal([2], changed.RanSteps);
        Assert.NotEqual(cold.Digest, changed.Digest);
    }

    [Fact]
    public async Task A_bind_of_the_whole_context_follows_dockerignore_in_the_step_and_in_the_key()
    {
        var context = Context("""
            ARG BUSYBOX
            FROM ${BUSYBOX}
            WORKDIR /src
            RUN --mount=type=bind,target=. echo "ran-$((1+1))" && find . | sort > /listing.txt
            """, ("a.txt", "a"), ("notes.log", "x"), (".dockerignore", "*.log\n"));
        var cache = Path.Combine(_temp.Path, "cache");

        var cold = await CachedBuildAsync(context, cache);
        File.WriteAllText(Path.Combine(context, "notes.log"), "changed but ignored");
        var warm = await CachedBuildAsync(context, cache);

        Assert.Equal([2], cold.RanSteps);
        Assert.Empty(warm.RanSteps);
        var layout = Path.Combine(_temp.Path, "listing");
        await ExecutorBuild.ToLayoutAsync(context, layout, cache, "--reproducible", "--build-arg", $"BUSYBOX={environment.Busybox}");
        await RootfsSnapshot.UnpackAsync(layout);
        Assert.Equal(".\n./.dockerignore\n./Dockerfile\n./a.txt\n", File.ReadAllText(Path.Combine(RootfsSnapshot.RootfsFolder(layout), "listing.txt")));
    }

    [Fact]
    public async Task A_bind_from_a_stage_keys_on_the_files_it_mounts()
    {
        var context = Context("""
            ARG BUSYBOX
            FROM ${BUSYBOX} AS tools
            COPY input.txt /in/
            RUN cut -c1-3 /in/input.txt > /out.txt
            FROM ${BUSYBOX}
            RUN --mount=type=bind,from=tools,source=/out.txt,target=/mnt/out.txt echo "ran-$((0+1))" && cat /mnt/out.txt > /got.txt
            """, ("input.txt", "abcdef\n"));
        var cache = Path.Combine(_temp.Path, "cache");

        var cold = await CachedBuildAsync(context, cache);
        // The upstream rebuilds (its input changed) to the same /out.txt: the bind's content is the same, the step hits.
        File.WriteAllText(Path.Combine(context, "input.txt"), "abcXYZ\n");
        var same = await CachedBuildAsync(context, cache);
        File.WriteAllText(Path.Combine(context, "input.txt"), "xyz\n");
        var different = await CachedBuildAsync(context, cache);

        Assert.Equal([1], cold.RanSteps);
        Assert.Empty(same.RanSteps);
        Assert.Equal(cold.Digest, same.Digest);
        Assert.Equal([1], different.RanSteps);
    }

    [Fact]
    public async Task A_bind_of_a_whole_stage_shows_its_root_and_a_rebuild_hits()
    {
        var context = Context("""
            ARG BUSYBOX
            FROM ${BUSYBOX} AS tools
            RUN echo x > /x.txt
            FROM ${BUSYBOX}
            RUN --mount=type=bind,from=tools,target=/t echo "ran-$((0+1))" && cat /t/x.txt > /got.txt && test -x /t/bin/busybox
            """);
        var cache = Path.Combine(_temp.Path, "cache");

        var cold = await CachedBuildAsync(context, cache);
        var warm = await CachedBuildAsync(context, cache);

        Assert.Equal([1], cold.RanSteps);
        Assert.Empty(warm.RanSteps);
        Assert.Equal([1], warm.CachedSteps);
        Assert.Equal(cold.Digest, warm.Digest);
    }

    [Theory]
    [MemberData(nameof(Sandboxes))]
    public async Task Onbuild_triggers_of_a_stage_run_in_the_child_with_its_context_and_are_not_inherited(string sandbox)
    {
        var context = Context("""
            ARG BUSYBOX
            FROM ${BUSYBOX} AS base
            ENV APP=/srv/app
            ONBUILD COPY payload.txt $APP/
            ONBUILD RUN cat $APP/payload.txt > $APP/built.txt
            RUN echo base > /base.txt
            FROM base
            RUN cat /srv/app/built.txt > /child-saw.txt
            """, ("payload.txt", "from the child's context\n"));

        var layout = await BuildAsync(context, sandbox);
        await RootfsSnapshot.UnpackAsync(layout);
        var rootfs = RootfsSnapshot.RootfsFolder(layout);

        Assert.Equal("from the child's context\n", File.ReadAllText(Path.Combine(rootfs, "child-saw.txt")));
        Assert.True(File.Exists(Path.Combine(rootfs, "srv", "app", "payload.txt")));
        Assert.Null(OnBuildOf(layout));
    }

    [Fact]
    public async Task Onbuild_triggers_of_a_registry_base_run_in_the_child_and_the_child_records_only_its_own()
    {
        var baseContext = Context("""
            ARG BUSYBOX
            FROM ${BUSYBOX}
            ONBUILD COPY payload.txt /payload/
            ONBUILD RUN wc -c < /payload/payload.txt > /payload/size.txt
            """, "base");
        var reference = $"{environment.RegistryAddress}/mounts/onbuild-base:{Guid.NewGuid():N}";
        var pushed = await CliApp.RunAsync(["executor", "-f", "Dockerfile", "-c", baseContext, "--destination", reference, "--cache-dir", Path.Combine(_temp.Path, "cache"), "--insecure", "--insecure-pull", "--build-arg", $"BUSYBOX={environment.Busybox}"], new StringWriter(), new StringWriter());
        Assert.Equal(ExitCodes.Ok, pushed);
        var child = Context($"""
            FROM {reference}
            ONBUILD RUN echo grandchild
            """, "child", ("payload.txt", "12345\n"));

        var layout = await BuildAsync(child, "overlay", "--insecure-pull");
        await RootfsSnapshot.UnpackAsync(layout);

        Assert.Equal("6", File.ReadAllText(Path.Combine(RootfsSnapshot.RootfsFolder(layout), "payload", "size.txt")).Trim());
        Assert.Equal(["RUN echo grandchild"], OnBuildOf(layout));
    }

    [Theory]
    [MemberData(nameof(Sandboxes))]
    public async Task An_ssh_agent_socket_is_forwarded_as_SSH_AUTH_SOCK_in_the_overlay_sandbox_and_refused_by_the_chroot_fallback(string sandbox)
    {
        var socketPath = Path.Combine(_temp.Path, "agent.sock");
        using var agent = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        agent.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(socketPath));
        agent.Listen(1);
        var context = Context("""
            ARG BUSYBOX
            FROM ${BUSYBOX}
            RUN --mount=type=ssh test -S "$SSH_AUTH_SOCK" && echo "$SSH_AUTH_SOCK" > /agent.txt
            RUN --mount=type=ssh,id=missing echo optional agents that were not given are skipped > /skipped.txt
            """);
        var layout = Path.Combine(_temp.Path, "layout-ssh");
        var stdout = new StringWriter();
        var code = await CliApp.RunAsync(
            ["executor", "-f", "Dockerfile", "-c", context, "--no-push", "--oci-layout-path", layout, "--cache-dir", Path.Combine(_temp.Path, "cache-ssh"),
             "--sandbox", sandbox, "--ssh", "default=" + socketPath, "--build-arg", $"BUSYBOX={environment.Busybox}"], stdout, stdout);

        if (sandbox == "chroot")
        {
            Assert.Equal(ExitCodes.BuildFailed, code);
            Assert.Contains("ssh mount /run/buildkit/ssh_agent.0 forwards an SSH agent socket", stdout.ToString());
            Assert.Contains("--sandbox overlay", stdout.ToString());
            return;
        }
        Assert.True(code == ExitCodes.Ok, stdout.ToString());
        await RootfsSnapshot.UnpackAsync(layout);
        var rootfs = RootfsSnapshot.RootfsFolder(layout);
        Assert.Equal("/run/buildkit/ssh_agent.0\n", File.ReadAllText(Path.Combine(rootfs, "agent.txt")));
        Assert.True(File.Exists(Path.Combine(rootfs, "skipped.txt")));
        Assert.False(Directory.Exists(Path.Combine(rootfs, "run", "buildkit")), "the socket's mount point reached the image");
    }

    [Fact]
    public async Task A_required_agent_that_was_not_given_fails_the_step_with_the_flag_to_pass()
    {
        var context = Context("""
            ARG BUSYBOX
            FROM ${BUSYBOX}
            RUN --mount=type=ssh,id=github,required true
            """);
        var stdout = new StringWriter();
        var code = await CliApp.RunAsync(
            ["executor", "-f", "Dockerfile", "-c", context, "--no-push", "--cache-dir", Path.Combine(_temp.Path, "cache-ssh"), "--build-arg", $"BUSYBOX={environment.Busybox}"], stdout, stdout);
        Assert.Equal(ExitCodes.BuildFailed, code);
        Assert.Contains("ssh agent 'github' is required but was not given; pass --ssh github=SOCKET", stdout.ToString());
        Assert.Contains("Dockerfile(3,1)", stdout.ToString());
    }

    private static string[]? OnBuildOf(string layout)
    {
        static JsonElement Read(string layout, string digest) => JsonDocument.Parse(File.ReadAllBytes(Path.Combine(layout, "blobs", "sha256", digest.Split(':')[1]))).RootElement;
        using var index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(layout, "index.json")));
        var manifest = Read(layout, index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!);
        var config = Read(layout, manifest.GetProperty("config").GetProperty("digest").GetString()!);
        return config.GetProperty("config").TryGetProperty("OnBuild", out var onBuild) && onBuild.ValueKind == JsonValueKind.Array
            ? onBuild.EnumerateArray().Select(e => e.GetString()!).ToArray()
            : null;
    }

    private string Context(string dockerfile, params (string Path, string Content)[] files) => Context(dockerfile, "context", files);

    private string Context(string dockerfile, string name, params (string Path, string Content)[] files) =>
        ExecutorBuild.WriteContext(Path.Combine(_temp.Path, name), dockerfile, files);

    private async Task<string> BuildAsync(string context, string sandbox, params string[] extra)
    {
        var layout = Path.Combine(_temp.Path, "layout-" + Guid.NewGuid().ToString("N"));
        await ExecutorBuild.ToLayoutAsync(context, layout, Path.Combine(_temp.Path, "cache-" + sandbox), ["--reproducible", "--sandbox", sandbox, "--build-arg", $"BUSYBOX={environment.Busybox}", .. extra]);
        return layout;
    }

    private Task<CacheBuildRun> CachedBuildAsync(string context, string cache)
    {
        var run = Guid.NewGuid().ToString("N");
        var digestFile = Path.Combine(_temp.Path, "digest-" + run);
        return CacheBuildRun.SucceedAsync(
        [
            "executor", "-f", "Dockerfile", "-c", context, "--no-push", "--oci-layout-path", Path.Combine(_temp.Path, "layout-" + run),
            "--digest-file", digestFile, "--cache-dir", cache, "--reproducible", "--cache=true", "--build-arg", $"BUSYBOX={environment.Busybox}",
        ], digestFile);
    }
}
