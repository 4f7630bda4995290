using Orchestrator.Execution.Local;

namespace Orchestrator.Tests.Local;

/// <summary>
/// The overlay sandbox on unusual layer stacks: the same store folder twice (two layers with one
/// diffID, as two COPY steps of the same files give) and a stack overlayfs refuses.
/// </summary>
public sealed class OverlayLayerStackTests(BusyboxStoreFixture busybox) : IClassFixture<BusyboxStoreFixture>
{
    private sealed record Outcome(int ExitCode, string Stdout, string Stderr, string Upper);

    private async Task<Outcome> Run(string script, IReadOnlyList<string> layers)
    {
        var upper = Path.Combine(busybox.NewStepFolder(), "upper");
        var stdout = new List<string>();
        var stderr = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var exit = await new OverlaySandbox().RunAsync(new SandboxRequest(layers, upper, ["/bin/sh", "-c", script]), l => { lock (stdout) (l.Stream == SandboxStream.Stdout ? stdout : stderr).Add(l.Text); }, timeout.Token);
        return new Outcome(exit, string.Join("\n", stdout), string.Join("\n", stderr), upper);
    }

    private static List<string> UpperPaths(string upper) =>
        Directory.EnumerateFileSystemEntries(upper, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(upper, p)).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task The_same_layer_folder_twice_in_the_stack_runs_with_the_topmost_copy_winning()
    {
        // What two COPY steps of the same files give: two layers with one diffID, so one store folder.
        var copied = Path.Combine(busybox.NewStepFolder(), "copied");
        Directory.CreateDirectory(copied);
        await File.WriteAllTextAsync(Path.Combine(copied, "foo"), "from-copy\n");
        var between = Path.Combine(busybox.NewStepFolder(), "between");
        Directory.CreateDirectory(between);
        await File.WriteAllTextAsync(Path.Combine(between, "foo"), "from-between\n");
        await File.WriteAllTextAsync(Path.Combine(between, "bar"), "from-between\n");

        var twice = await Run("cat /foo", [busybox.BaseLayer, copied, copied]);
        var around = await Run("cat /foo /bar; echo changed > /foo", [busybox.BaseLayer, copied, between, copied]);

        Assert.True(twice.ExitCode == 0, twice.Stderr);
        Assert.Equal("from-copy", twice.Stdout);
        Assert.True(around.ExitCode == 0, around.Stderr);
        Assert.Equal("from-copy\nfrom-between", around.Stdout);
        Assert.Equal(["foo"], UpperPaths(around.Upper));
        Assert.Equal("from-copy\n", await File.ReadAllTextAsync(Path.Combine(copied, "foo")));
    }

    [Fact]
    public void Only_the_topmost_occurrence_of_a_layer_folder_is_kept()
    {
        Assert.Equal(["/base", "/b", "/a"], OverlaySandbox.TopmostOccurrences(["/base", "/a", "/b", "/a"]));
        Assert.Equal(["/base", "/a"], OverlaySandbox.TopmostOccurrences(["/base", "/a", "/a"]));
        Assert.Equal(["/base", "/a", "/b"], OverlaySandbox.TopmostOccurrences(["/base", "/a", "/b"]));
    }

    [Fact]
    public async Task A_failing_overlay_mount_reports_mounts_own_error()
    {
        var error = await Assert.ThrowsAsync<OrchestratorException>(() => Run("true", [Path.Combine(busybox.CacheDirectory, "no-such-layer")]));

        Assert.Contains("mounting the overlay, /proc or /dev failed: mount: ", error.Message); // mount(8)'s own words, on one line
        Assert.Contains("/root: ", error.Message); // the first failure is the root's
        Assert.DoesNotContain("\n", error.Message);
        if (Environment.OSVersion.Version >= new Version(5, 11)) Assert.DoesNotContain("5.11", error.Message);
    }
}
