using Orchestrator.Execution.Local;
using Orchestrator.Tests.Layers;

namespace Orchestrator.Tests.Local;

/// <summary>
/// The process environment of a RUN step, in both sandboxes, against what Docker/BuildKit give a step:
/// default signal dispositions and an empty mask, hostname <c>buildkitsandbox</c>, BuildKit's
/// /etc/hosts, root's groups, /dev with pts, shm and mqueue, /sys read-only — and none of it in the
/// layer. The chroot fallback needs root; unprivileged it must refuse, which is asserted instead.
/// </summary>
public sealed class StepEnvironmentTests(BusyboxStoreFixture busybox) : IClassFixture<BusyboxStoreFixture>
{
    private const string BuildKitHosts = "127.0.0.1\tlocalhost buildkitsandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n";

    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(2);

    private sealed record Outcome(int ExitCode, string Stdout, string Stderr, string Upper, string Root);

    /// <summary>Runs <paramref name="script"/> with /bin/sh in the named sandbox on the busybox base (or the given root folder / layers).</summary>
    private async Task<Outcome> Run(string sandbox, string script, Func<SandboxRequest, SandboxRequest>? configure = null, IReadOnlyList<string>? layers = null)
    {
        var chroot = sandbox == "chroot";
        layers ??= chroot ? [await busybox.FlatRootfsAsync()] : [busybox.BaseLayer];
        var upper = Path.Combine(busybox.NewStepFolder(), "upper");
        var request = new SandboxRequest(layers, upper, ["/bin/sh", "-c", script]);
        if (configure is not null) request = configure(request);
        var stdout = new List<string>();
        var stderr = new List<string>();
        // A regression (a step that never ends) fails the test instead of hanging the suite.
        using var timeout = new CancellationTokenSource(StepTimeout);
        ISandbox runner = chroot ? new ChrootSandbox() : new OverlaySandbox();
        var exit = await runner.RunAsync(request, l => { lock (stdout) (l.Stream == SandboxStream.Stdout ? stdout : stderr).Add(l.Text); }, timeout.Token);
        return new Outcome(exit, string.Join("\n", stdout), string.Join("\n", stderr), upper, layers[^1]);
    }

    /// <summary>False (after asserting the refusal) where the chroot sandbox cannot run: an unprivileged process.</summary>
    private async Task<bool> Runs(string sandbox)
    {
        if (sandbox != "chroot" || Stat.IsRoot) return true;
        var rootfs = await busybox.FlatRootfsAsync();
        var request = new SandboxRequest([rootfs], Path.Combine(busybox.NewStepFolder(), "upper"), ["/bin/true"]);
        var error = await Assert.ThrowsAsync<OrchestratorException>(() => new ChrootSandbox().RunAsync(request, _ => { }, CancellationToken.None));
        Assert.Contains("requires root", error.Message);
        return false;
    }

    private static List<string> UpperPaths(string upper) =>
        !Directory.Exists(upper) ? [] : Directory.EnumerateFileSystemEntries(upper, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(upper, p)).Order(StringComparer.Ordinal).ToList();

    /// <summary>
    /// busybox id's groups part for an unprivileged caller: setgroups is forbidden in a namespace whose map the
    /// caller wrote itself, so the step keeps the caller's groups — its own gid as root, any other unmapped.
    /// </summary>
    private static string UnprivilegedGroups(bool names)
    {
        var gid = File.ReadLines("/proc/self/status").First(l => l.StartsWith("Gid:", StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[2];
        var groups = File.ReadLines("/proc/self/status").First(l => l.StartsWith("Groups:", StringComparison.Ordinal))["Groups:".Length..]
            .Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)
            .Select(g => g == gid ? (names ? "0(root)" : "0") : names ? "65534(nogroup)" : "65534")
            .ToList();
        return groups.Count == 0 ? "" : " groups=" + string.Join(',', groups);
    }

    /// <summary>The probe's output split into its "== name" sections.</summary>
    private static Dictionary<string, List<string>> Sections(string stdout)
    {
        var sections = new Dictionary<string, List<string>>();
        List<string>? current = null;
        foreach (var line in stdout.Split('\n'))
        {
            if (line.StartsWith("== ", StringComparison.Ordinal)) sections[line[3..]] = current = [];
            else current?.Add(line);
        }
        return sections;
    }

    private const string Probe = """
        echo '== signals'; grep -E '^Sig(Ign|Blk|Cgt):' /proc/self/status
        echo '== hostname'; hostname
        echo '== hosts'; cat /etc/hosts
        echo '== id'; id
        echo '== mounts'; cat /proc/self/mounts
        echo '== dev'; ls -l /dev
        """;

    [Theory]
    [InlineData("overlay")]
    [InlineData("chroot")]
    public async Task A_step_sees_the_process_environment_docker_gives_it(string sandbox)
    {
        if (!await Runs(sandbox)) return;

        var outcome = await Run(sandbox, Probe);

        Assert.True(outcome.ExitCode == 0, outcome.Stderr);
        Assert.Equal("", outcome.Stderr);
        var sections = Sections(outcome.Stdout);
        // Nothing ignored (the .NET host ignores SIGPIPE), nothing blocked, nothing caught by busybox grep.
        Assert.Equal(["SigBlk:\t0000000000000000", "SigIgn:\t0000000000000000", "SigCgt:\t0000000000000000"], sections["signals"]);
        Assert.Equal(["buildkitsandbox"], sections["hostname"]);
        Assert.Equal(BuildKitHosts, string.Join("\n", sections["hosts"]) + "\n");
        var id = Assert.Single(sections["id"]);
        Assert.Equal("uid=0(root) gid=0(root)" + (Stat.IsRoot ? " groups=0(root)" : UnprivilegedGroups(names: true)), id);

        var mounts = sections["mounts"].Select(l => l.Split(' ')).Where(f => f.Length >= 4).GroupBy(f => f[1]).ToDictionary(g => g.Key, g => g.Last());
        Assert.Equal("proc", mounts["/proc"][2]);
        Assert.Equal("tmpfs", mounts["/dev"][2]);
        Assert.Equal("tmpfs", mounts["/dev/shm"][2]);
        Assert.Equal("mqueue", mounts["/dev/mqueue"][2]);
        var pts = mounts["/dev/pts"];
        Assert.Equal("devpts", pts[2]);
        Assert.Contains("ptmxmode=666", pts[3].Split(','));
        Assert.Contains("mode=620", pts[3].Split(','));
        // gid=5 (tty) wherever the namespace has that group (an unprivileged caller maps only its own); the
        // kernel prints it as the machine sees it, which inside a user namespace is where 5 maps to.
        if (Stat.IsRoot && UserNamespace.GidRanges().FirstOrDefault(r => r.Inside <= 5 && 5 - r.Inside < r.Count) is { } tty)
            Assert.Contains($"gid={tty.Outside + 5 - tty.Inside}", pts[3].Split(','));
        Assert.Equal("sysfs", mounts["/sys"][2]);
        Assert.Contains("ro", mounts["/sys"][3].Split(','));
        Assert.DoesNotContain(mounts, m => m.Key.StartsWith("/sys/", StringComparison.Ordinal) && m.Value[3].Split(',').Contains("rw"));
        Assert.Contains(mounts, m => m.Key == "/etc/hosts");
        if (File.Exists("/etc/resolv.conf")) Assert.Contains(mounts, m => m.Key == "/etc/resolv.conf");
        Assert.DoesNotContain(mounts, m => m.Key == "/etc/hostname"); // BuildKit binds no /etc/hostname for RUN

        // `ls -l /dev` as in a Docker step: the devices, runc's links, the pts/shm/mqueue mount points.
        var dev = sections["dev"].Where(l => !l.StartsWith("total", StringComparison.Ordinal)).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        var names = dev.Select(f => f[Array.IndexOf(f, "->") is var arrow and > 0 ? arrow - 1 : f.Length - 1]).Order(StringComparer.Ordinal).ToList();
        var expected = new[] { "fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin", "stdout", "tty", "urandom", "zero" }
            .Concat(File.Exists("/proc/kcore") ? ["core"] : []).Order(StringComparer.Ordinal);
        Assert.Equal(expected, names);
        Assert.Contains(dev, f => f[0].StartsWith('l') && f[^3] == "ptmx" && f[^1] == "pts/ptmx");
        Assert.Contains(dev, f => f[0].StartsWith('c') && f[^1] == "null");
        Assert.Contains(dev, f => f[0].StartsWith('d') && f[^1] == "pts");

        Assert.Empty(UpperPaths(outcome.Upper));
    }

    [Theory]
    [InlineData("overlay")]
    [InlineData("chroot")]
    public async Task Pipes_end_as_under_docker_when_the_reader_stops(string sandbox)
    {
        if (!await Runs(sandbox)) return;

        // With SIGPIPE ignored, `yes` spins or complains "Broken pipe" and cat reports a write error.
        var outcome = await Run(sandbox, "busybox yes | head -c 1048576 > /dev/null; cat /dev/urandom | busybox tr -dc a-z | head -c 16 > /dev/null; cat /dev/urandom | head -c 16 | wc -c");

        Assert.True(outcome.ExitCode == 0, outcome.Stderr);
        Assert.Equal("", outcome.Stderr);
        Assert.Equal("16", outcome.Stdout.Trim());
    }

    [Theory]
    [InlineData("overlay")]
    [InlineData("chroot")]
    public async Task The_layer_holds_what_the_command_wrote_and_no_mount_point(string sandbox)
    {
        if (!await Runs(sandbox)) return;

        var outcome = await Run(sandbox, "echo hello > /etc/motd && ls /sys > /dev/null && ls /dev/pts /dev/mqueue > /dev/null && cat /etc/hosts /etc/resolv.conf > /dev/null 2>&1; echo made > /dev/shm/x && echo x > /dev/mqueue/q 2>/dev/null; echo done");

        Assert.True(outcome.ExitCode == 0, outcome.Stderr);
        Assert.Equal("done", outcome.Stdout);
        Assert.Equal(["etc", Path.Combine("etc", "motd")], UpperPaths(outcome.Upper));
        if (sandbox == "chroot")
        {
            // The root folder itself is back as it was, apart from the command's file: no placeholder is left.
            foreach (var gone in new[] { "proc", "sys", "dev", "etc/hosts", "etc/hostname" })
                Assert.Null(Orchestrator.Layers.Libc.LinkStatus(Path.Combine(outcome.Root, gone)));
            Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(outcome.Upper)!), p => Path.GetFileName(p).StartsWith(".sandbox-", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task With_the_network_off_sys_is_a_fresh_read_only_sysfs()
    {
        var outcome = await Run("overlay", "grep ' /sys' /proc/self/mounts", r => r with { Network = false });

        Assert.True(outcome.ExitCode == 0, outcome.Stderr);
        // Its own sysfs (the network namespace is the step's): no host submounts such as /sys/fs/cgroup.
        var sys = Assert.Single(outcome.Stdout.Split('\n')).Split(' ');
        Assert.Equal(["sysfs", "/sys", "sysfs"], sys[..3]);
        Assert.Contains("ro", sys[3].Split(','));
    }

    [Theory]
    [InlineData("overlay")]
    [InlineData("chroot")]
    public async Task USER_root_runs_in_an_image_without_etc_passwd(string sandbox)
    {
        if (!await Runs(sandbox)) return;
        string root;
        if (sandbox == "chroot")
        {
            root = await busybox.FlatRootfsAsync();
            File.Delete(Path.Combine(root, "etc/passwd"));
            File.Delete(Path.Combine(root, "etc/group"));
        }
        else
        {
            // A one-layer image of busybox alone: no /etc at all.
            root = Path.Combine(busybox.NewStepFolder(), "bare");
            Directory.CreateDirectory(Path.Combine(root, "bin"));
            File.Copy(Path.Combine(busybox.BaseLayer, "bin/busybox"), Path.Combine(root, "bin/busybox"));
            foreach (var applet in new[] { "sh", "id", "cat" }) File.CreateSymbolicLink(Path.Combine(root, "bin", applet), "busybox");
        }

        var outcome = await Run(sandbox, "id; cat /etc/hosts > /dev/null && echo hosts-ok", r => r with { User = "root" }, layers: [root]);

        Assert.True(outcome.ExitCode == 0, outcome.Stderr);
        var lines = outcome.Stdout.Split('\n');
        // No passwd or group file: numbers only, root's primary group listed as Docker lists it.
        Assert.Equal("uid=0 gid=0" + (Stat.IsRoot ? " groups=0" : UnprivilegedGroups(names: false)), lines[0]);
        Assert.Equal("hosts-ok", lines[1]);
    }
}
