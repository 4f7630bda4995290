using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using Orchestrator.Execution.Local;
using Orchestrator.Layers;
using Orchestrator.Testing;
using Orchestrator.Tests.Layers;

namespace Orchestrator.Tests.Local;

public sealed class OverlaySandboxTests(BusyboxStoreFixture busybox) : IClassFixture<BusyboxStoreFixture>
{
    private readonly OverlaySandbox _sandbox = new();

    private sealed record Outcome(int ExitCode, List<SandboxOutputLine> Lines, string Upper)
    {
        public string Stdout => string.Join("\n", Lines.Where(l => l.Stream == SandboxStream.Stdout).Select(l => l.Text));
        public string Stderr => string.Join("\n", Lines.Where(l => l.Stream == SandboxStream.Stderr).Select(l => l.Text));
    }

    private async Task<Outcome> Run(string script, Func<SandboxRequest, SandboxRequest>? configure = null, IReadOnlyList<string>? layers = null, CancellationToken cancellationToken = default)
    {
        var upper = Path.Combine(busybox.NewStepFolder(), "upper");
        var request = new SandboxRequest(layers ?? [busybox.BaseLayer], upper, ["/bin/sh", "-c", script]);
        if (configure is not null) request = configure(request);
        var lines = new List<SandboxOutputLine>();
        var exit = await _sandbox.RunAsync(request, l => { lock (lines) lines.Add(l); }, cancellationToken);
        return new Outcome(exit, lines, upper);
    }

    private static List<(string Name, TarEntryType Type)> Entries(LayerBlob blob)
    {
        using var reader = new TarReader(new GZipStream(File.OpenRead(blob.Path), CompressionMode.Decompress));
        var entries = new List<(string, TarEntryType)>();
        while (reader.GetNextEntry() is { } e) entries.Add((e.Name, e.EntryType));
        return entries;
    }

    [Fact]
    public async Task A_run_step_becomes_a_layer_with_its_file_and_its_deletion()
    {
        var outcome = await Run("echo hi > /a; rm /etc/group");

        Assert.True(outcome.ExitCode == 0, outcome.Stderr);
        var blob = await new LayerWriter(new() { Timestamps = TimestampPolicy.Fixed(DateTimeOffset.UnixEpoch) }).WriteOverlayUpperAsync(outcome.Upper, busybox.NewStepFolder());
        var entries = Entries(blob);
        Assert.Contains(("a", TarEntryType.RegularFile), entries);
        Assert.Contains(("etc/.wh.group", TarEntryType.RegularFile), entries);
        Assert.DoesNotContain(entries, e => e.Name.StartsWith("proc", StringComparison.Ordinal) || e.Name.StartsWith("dev", StringComparison.Ordinal) || e.Name.Contains("resolv.conf", StringComparison.Ordinal));

        // Cross-check with umoci-independent tooling: GNU tar lists exactly these names.
        var listing = await Tool("tar", "-tzf", blob.Path);
        Assert.Equal(["a", "etc/", "etc/.wh.group"], listing.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task The_same_step_run_twice_gives_the_same_layer_digest()
    {
        var writer = new LayerWriter(new() { Timestamps = TimestampPolicy.Resolve(reproducible: true, sourceDateEpoch: null) });
        var first = await Run("echo hi > /a; mkdir -p /opt/x && echo y > /opt/x/y; rm /etc/group");
        var second = await Run("echo hi > /a; mkdir -p /opt/x && echo y > /opt/x/y; rm /etc/group");
        foreach (var path in Directory.EnumerateFileSystemEntries(second.Upper, "*", SearchOption.AllDirectories).Where(File.Exists))
            File.SetLastWriteTimeUtc(path, new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc)); // different times on disk

        var a = await writer.WriteOverlayUpperAsync(first.Upper, busybox.NewStepFolder());
        var b = await writer.WriteOverlayUpperAsync(second.Upper, busybox.NewStepFolder());

        Assert.Equal(a.Digest, b.Digest);
        Assert.Equal(a.DiffId, b.DiffId);
    }

    [Fact]
    public async Task The_produced_layer_stacks_on_the_base_in_the_next_step()
    {
        var first = await Run("echo hi > /a; rm /etc/group; mkdir -p /var/lib && echo x > /var/lib/old");
        var blob = await new LayerWriter().WriteOverlayUpperAsync(first.Upper, busybox.NewStepFolder());
        var store = busybox.Store;
        var second = await store.GetOrExtractAsync(blob.DiffId, _ => Task.FromResult<Stream>(File.OpenRead(blob.Path)), [busybox.BaseDiffId]);

        var outcome = await Run("cat /a; test -e /etc/group && echo group-present || echo group-gone; cat /etc/passwd | head -1; rm -rf /var/lib; mkdir /var/lib", layers: [busybox.BaseLayer, second]);

        Assert.True(outcome.ExitCode == 0, outcome.Stderr);
        Assert.Equal("hi\ngroup-gone\nroot:x:0:0:root:/root:/bin/sh", outcome.Stdout);
        // Replacing a lower directory makes it opaque in the upper folder, which the writer turns into .wh..wh..opq.
        var entries = Entries(await new LayerWriter().WriteOverlayUpperAsync(outcome.Upper, busybox.NewStepFolder()));
        Assert.Contains(("var/lib/.wh..wh..opq", TarEntryType.RegularFile), entries);
    }

    [Fact]
    public async Task An_adopted_upper_folder_serves_as_the_next_steps_layer_without_extraction()
    {
        var first = await Run("mkdir -p /etc/app && echo v1 > /etc/app/conf; rm /etc/group");
        var blob = await new LayerWriter().WriteOverlayUpperAsync(first.Upper, busybox.NewStepFolder());
        var adopted = busybox.Store.Adopt(blob.DiffId, first.Upper);

        Assert.Equal(busybox.Store.PathFor(blob.DiffId), adopted);
        Assert.False(Directory.Exists(first.Upper));
        Assert.Null(Stat.Xattr(adopted, "user.overlay.uuid"));
        var next = await Run("cat /etc/app/conf; ls /etc", layers: [busybox.BaseLayer, adopted]);
        // group stays deleted; hosts (BuildKit's) and resolv.conf (the host's) are bound for the step
        var etc = new[] { "app", "hosts", "passwd", File.Exists("/etc/resolv.conf") ? "resolv.conf" : null }.OfType<string>();
        Assert.Equal("v1\n" + string.Join("\n", etc), next.Stdout);
    }

    [Fact]
    public async Task Environment_workdir_and_exit_code_reach_the_command()
    {
        var outcome = await Run("echo \"$GREETING\"; pwd; echo $PATH; exit 7", r => r with
        {
            Environment = new Dictionary<string, string> { ["GREETING"] = "it's \"quoted\" $HOME" },
            WorkingDirectory = "/srv/app",
        });

        Assert.Equal(7, outcome.ExitCode);
        Assert.Equal("it's \"quoted\" $HOME\n/srv/app\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", outcome.Stdout);
        Assert.True(Directory.Exists(Path.Combine(outcome.Upper, "srv/app"))); // WORKDIR creation is part of the step's layer
    }

    [Fact]
    public async Task A_missing_workdir_behind_an_absolute_link_is_made_inside_the_root_never_on_the_host()
    {
        // The image links /linked to an absolute path that also exists on the building machine.
        var host = Directory.CreateTempSubdirectory("orchestrator-workdir-link-").FullName;
        try
        {
            var layer = Path.Combine(busybox.NewStepFolder(), "layer");
            Directory.CreateDirectory(layer);
            File.CreateSymbolicLink(Path.Combine(layer, "linked"), host);

            var outcome = await Run("pwd", r => r with { WorkingDirectory = "/linked/sub" }, layers: [busybox.BaseLayer, layer]);

            Assert.Equal(0, outcome.ExitCode);
            Assert.Equal(host + "/sub", outcome.Stdout); // the link's target inside the root, as getcwd gives it
            Assert.Empty(Directory.EnumerateFileSystemEntries(host));
            Assert.True(Directory.Exists(Path.Combine(outcome.Upper, host.TrimStart('/'), "sub")));
        }
        finally
        {
            Directory.Delete(host, recursive: true);
        }
    }

    [Fact]
    public async Task The_root_is_a_volatile_overlay_so_the_steps_end_never_syncs_the_host_file_system()
    {
        // Unmounting an overlay syncs the whole file system of its upper folder, which waits for every dirty page
        // there (seconds after a large build); a step's upper folder needs no durability.
        var outcome = await Run("grep ' / ' /proc/self/mounts");

        Assert.Equal(0, outcome.ExitCode);
        var root = outcome.Stdout.Split(' ');
        Assert.Equal("overlay", root[2]);
        Assert.True(root[3].Split(',').Intersect(["volatile", "fsync=volatile"]).Any(), root[3]); // kernels before 6.6 print "volatile"
    }

    [Fact]
    public async Task The_step_runs_in_its_own_user_namespace()
    {
        var outcome = await Run("cat /proc/self/uid_map");

        var map = outcome.Stdout.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        // Root callers map every id they have to itself (the machine's root: all 2^32; root of a user namespace:
        // its own ranges); unprivileged callers map only themselves, to root.
        var expected = Stat.IsRoot
            ? UserNamespace.IdentityMap(UserNamespace.UidRanges()).Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries)
            : ["0", Libc.GetEffectiveUserId().ToString(), "1"];
        Assert.Equal(expected, map);
        if (HostUser.IsMachineRoot) Assert.Equal(["0", "0", "4294967295"], map);
    }

    [Fact]
    public async Task Stdout_and_stderr_are_streamed_line_by_line()
    {
        var outcome = await Run("echo one; echo two >&2; echo three");

        Assert.Equal(["one", "three"], outcome.Lines.Where(l => l.Stream == SandboxStream.Stdout).Select(l => l.Text));
        Assert.Equal(["two"], outcome.Lines.Where(l => l.Stream == SandboxStream.Stderr).Select(l => l.Text));
    }

    [Fact]
    public async Task Proc_dev_and_host_dns_are_present_but_not_in_the_layer()
    {
        var outcome = await Run("echo $$; test -c /dev/null && echo null-ok; echo x > /dev/null; ls /proc/self/fd >/dev/null && echo proc-ok; cat /etc/resolv.conf | wc -l; cat /etc/hosts | wc -l");

        Assert.True(outcome.ExitCode == 0, outcome.Stderr);
        var lines = outcome.Stdout.Split('\n');
        Assert.Equal("1", lines[0]); // pid namespace: the shell is pid 1
        Assert.Equal("null-ok", lines[1]);
        Assert.Equal("proc-ok", lines[2]);
        Assert.Equal(File.ReadAllLines("/etc/resolv.conf").Length.ToString(), lines[3].Trim());
        Assert.Equal("2", lines[4].Trim()); // BuildKit's hosts file, not the build machine's
        Assert.Empty(Directory.EnumerateFileSystemEntries(outcome.Upper));
    }

    [Fact]
    public async Task The_kernel_file_systems_come_up_in_a_step_folder_whose_path_has_a_space()
    {
        var upper = Path.Combine(busybox.NewStepFolder(), "odd path", "upper");
        var lines = new List<SandboxOutputLine>();
        var script = "ls /dev; test -c /dev/urandom && head -c 3 /dev/urandom | wc -c; test -d /dev/shm && grep -c ' /dev/mqueue ' /proc/self/mountinfo; ls /dev/pts";
        var exit = await _sandbox.RunAsync(new SandboxRequest([busybox.BaseLayer], upper, ["/bin/sh", "-c", script]), l => { lock (lines) lines.Add(l); }, CancellationToken.None);

        var stdout = lines.Where(l => l.Stream == SandboxStream.Stdout).Select(l => l.Text).ToList();
        Assert.True(exit == 0, string.Join("\n", lines.Select(l => l.Text)));
        foreach (var name in new[] { "fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin", "stdout", "tty", "urandom", "zero" })
            Assert.Contains(name, stdout);
        Assert.Contains("3", stdout);
        Assert.Contains("1", stdout);
        Assert.Contains("ptmx", stdout.Skip(stdout.IndexOf("zero") + 1));
        Assert.Empty(Directory.EnumerateFileSystemEntries(upper));
    }

    [Fact]
    public async Task Users_are_resolved_by_name_and_number()
    {
        if (!Stat.IsRoot)
        {
            // Unprivileged builds map only the caller; other users are refused with a clear error.
            var error = await Assert.ThrowsAsync<OrchestratorException>(() => Run("id", r => r with { User = "builder" }));
            Assert.Contains("builder", error.Message);
            return;
        }
        var byName = await Run("id -u; id -g; echo $HOME", r => r with { User = "builder" });
        var byNumber = await Run("id -u; id -g", r => r with { User = "1000:staff" });

        Assert.Equal("1000\n1000\n/home/builder", byName.Stdout);
        Assert.Equal("1000\n50", byNumber.Stdout);
        var unknown = await Assert.ThrowsAsync<OrchestratorException>(() => Run("id", r => r with { User = "ghost" }));
        Assert.Contains("'ghost'", unknown.Message);
        Assert.Contains("/etc/passwd", unknown.Message);
    }

    [Fact]
    public async Task Network_can_be_turned_off()
    {
        var on = await Run("cat /proc/net/dev | tail -n +3 | wc -l");
        var off = await Run("cat /proc/net/dev | tail -n +3 | cut -d: -f1", r => r with { Network = false });

        Assert.True(int.Parse(on.Stdout.Trim()) >= 2, on.Stdout); // host interfaces: lo + at least one more
        Assert.Equal("lo", off.Stdout.Trim());
    }

    [Fact]
    public async Task A_secret_is_readable_during_the_step_and_never_in_the_upper_folder()
    {
        var secret = Path.Combine(busybox.NewStepFolder(), "token");
        await File.WriteAllTextAsync(secret, "s3cr3t");

        var outcome = await Run("cat /run/secrets/token; echo; echo changed > /run/secrets/token 2>/dev/null || echo read-only", r => r with { Secrets = [new SandboxBind(secret, "/run/secrets/token")] });

        Assert.Equal("s3cr3t\nread-only", outcome.Stdout);
        Assert.Equal("s3cr3t", await File.ReadAllTextAsync(secret));
        Assert.Empty(Directory.EnumerateFileSystemEntries(outcome.Upper, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_cache_mount_keeps_its_content_between_steps_and_stays_out_of_the_layer()
    {
        var cache = Path.Combine(busybox.NewStepFolder(), "npm-cache");
        SandboxRequest WithCache(SandboxRequest r) => r with { CacheMounts = [new SandboxBind(cache, "/root/.cache")] };

        var first = await Run("echo warm > /root/.cache/state", WithCache);
        var second = await Run("cat /root/.cache/state", WithCache);

        Assert.Equal(0, first.ExitCode);
        Assert.Equal("warm", second.Stdout);
        Assert.Empty(Directory.EnumerateFileSystemEntries(first.Upper, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Cancellation_kills_the_process_tree_and_leaves_no_mounts_or_temp_folders()
    {
        // The sleeps' argv holds a number the script only computes, so the shell's own argv never matches.
        var seconds = 100_000 + Random.Shared.Next(100_000);
        var marker = $"sleep\0{seconds + 1}\0";
        using var cts = new CancellationTokenSource();
        var started = new TaskCompletionSource();
        var upper = Path.Combine(busybox.NewStepFolder(), "upper");
        var request = new SandboxRequest([busybox.BaseLayer], upper, ["/bin/sh", "-c", $"echo started; sleep $(({seconds} + 1)) & sleep $(({seconds} + 1))"]);

        var run = _sandbox.RunAsync(request, l => { if (l.Text == "started") started.TrySetResult(); }, cts.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // "started" is printed before the sleeps exist; wait until both are there.
        for (var i = 0; i < 200 && ProcessesWith(marker).Count < 2; i++) await Task.Delay(50);
        Assert.Equal(2, ProcessesWith(marker).Count);
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Empty(ProcessesWith(marker));
        Assert.DoesNotContain(Path.GetDirectoryName(upper)!, await File.ReadAllTextAsync("/proc/self/mountinfo"));
        Assert.Equal(["upper"], Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(upper)!).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_failing_setup_is_reported_as_such()
    {
        var error = await Assert.ThrowsAsync<OrchestratorException>(() => Run("true", layers: [Path.Combine(busybox.CacheDirectory, "no-such-layer")]));
        Assert.Contains("overlay", error.Message);
    }

    [Fact]
    public async Task Bad_mount_targets_are_refused()
    {
        var error = await Assert.ThrowsAsync<OrchestratorException>(() => Run("true", r => r with { CacheMounts = [new SandboxBind(busybox.NewStepFolder(), "relative/path")] }));
        Assert.Contains("'relative/path'", error.Message);
        error = await Assert.ThrowsAsync<OrchestratorException>(() => Run("true", r => r with { CacheMounts = [new SandboxBind(busybox.NewStepFolder(), "/proc/x")] }));
        Assert.Contains("/proc", error.Message);
    }

    private static List<int> ProcessesWith(string marker)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")) == marker) found.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }

    private static async Task<string> Tool(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = await process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{file} failed: {stderr}");
        return stdout;
    }
}
