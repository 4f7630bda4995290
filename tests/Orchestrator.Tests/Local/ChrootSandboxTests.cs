using System.Formats.Tar;
using System.IO.Compression;
using Orchestrator.Execution.Local;
using Orchestrator.Layers;
using Orchestrator.Tests.Layers;

namespace Orchestrator.Tests.Local;

public sealed class ChrootSandboxTests(BusyboxStoreFixture busybox) : IClassFixture<BusyboxStoreFixture>
{
    [Fact]
    public async Task The_fallback_runs_chrooted_and_snapshots_by_metadata_walk()
    {
        var rootfs = await busybox.FlatRootfsAsync();
        var upper = Path.Combine(busybox.NewStepFolder(), "upper");
        var secret = Path.Combine(busybox.NewStepFolder(), "token");
        await File.WriteAllTextAsync(secret, "s3cr3t");
        var request = new SandboxRequest([rootfs], upper, ["/bin/sh", "-c", "cat /run/secrets/token; echo; pwd; echo hi > /a; rm /etc/group"])
        {
            WorkingDirectory = "/work",
            Secrets = [new SandboxBind(secret, "/run/secrets/token")],
        };
        var lines = new List<string>();

        if (!Stat.IsRoot)
        {
            var error = await Assert.ThrowsAsync<OrchestratorException>(() => new ChrootSandbox().RunAsync(request, l => lines.Add(l.Text), CancellationToken.None));
            Assert.Contains("root", error.Message);
            return;
        }
        var exit = await new ChrootSandbox().RunAsync(request, l => lines.Add(l.Text), CancellationToken.None);

        Assert.Equal(0, exit);
        Assert.Equal(["s3cr3t", "/work"], lines);
        Assert.False(File.Exists(Path.Combine(rootfs, "run/secrets/token")));
        var blob = await new LayerWriter().WriteOverlayUpperAsync(upper, busybox.NewStepFolder());
        var names = new List<string>();
        using (var reader = new TarReader(new GZipStream(File.OpenRead(blob.Path), CompressionMode.Decompress)))
            while (reader.GetNextEntry() is { } e) names.Add(e.Name);
        Assert.Contains("a", names);
        Assert.Contains("etc/.wh.group", names);
        Assert.Contains("work/", names);
        Assert.DoesNotContain(names, n => n.Contains("token", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_cache_mount_keeps_what_a_step_wrote_for_the_next_step_and_stays_out_of_the_upper_folder()
    {
        var rootfs = await busybox.FlatRootfsAsync();
        var cache = Path.Combine(busybox.NewStepFolder(), "cache");
        SandboxRequest Step(string script) => new([rootfs], Path.Combine(busybox.NewStepFolder(), "upper"), ["/bin/sh", "-c", script])
        {
            CacheMounts = [new SandboxBind(cache, "/root/.cache/tool")],
        };

        var first = Step("echo kept > /root/.cache/tool/entry && echo out > /made");
        if (!Stat.IsRoot)
        {
            var error = await Assert.ThrowsAsync<OrchestratorException>(() => new ChrootSandbox().RunAsync(first, _ => { }, CancellationToken.None));
            Assert.Contains("requires root", error.Message);
            return;
        }
        Assert.Equal(0, await new ChrootSandbox().RunAsync(first, _ => { }, CancellationToken.None));
        var lines = new List<string>();
        Assert.Equal(0, await new ChrootSandbox().RunAsync(Step("cat /root/.cache/tool/entry"), line => lines.Add(line.Text), CancellationToken.None));

        Assert.Equal(["kept"], lines);
        Assert.Equal("kept\n", File.ReadAllText(Path.Combine(cache, "entry")));
        Assert.False(Directory.Exists(Path.Combine(rootfs, "root", ".cache")), "the cache mount's folder stayed in the root");
        Assert.True(File.Exists(Path.Combine(first.UpperFolder, "made")));
        Assert.False(Directory.Exists(Path.Combine(first.UpperFolder, "root", ".cache")), "the cache mount reached the upper folder");
    }

    [Fact]
    public async Task Requests_the_fallback_cannot_honour_are_refused()
    {
        var rootfs = await busybox.FlatRootfsAsync();
        var request = new SandboxRequest([rootfs], Path.Combine(busybox.NewStepFolder(), "upper"), ["/bin/true"]);

        var network = await Assert.ThrowsAsync<OrchestratorException>(() => new ChrootSandbox().RunAsync(request with { Network = false }, _ => { }, CancellationToken.None));
        var ssh = await Assert.ThrowsAsync<OrchestratorException>(() => new ChrootSandbox().RunAsync(request with { SshSockets = [new SandboxBind("/tmp/agent.sock", "/run/agent.sock")] }, _ => { }, CancellationToken.None));
        var stacked = await Assert.ThrowsAsync<OrchestratorException>(() => new ChrootSandbox().RunAsync(request with { Layers = [rootfs, rootfs] }, _ => { }, CancellationToken.None));

        Assert.Contains("Network(false)", network.Message);
        Assert.Contains("ssh mount /run/agent.sock forwards an SSH agent socket", ssh.Message);
        Assert.Contains("flatten", stacked.Message);
    }

    [Fact]
    public async Task The_selector_probe_agrees_with_what_the_overlay_sandbox_can_do()
    {
        var works = await SandboxSelector.OverlayWorksAsync(busybox.NewStepFolder());
        var request = new SandboxRequest([busybox.BaseLayer], Path.Combine(busybox.NewStepFolder(), "upper"), ["/bin/true"]);

        if (works)
            Assert.Equal(0, await new OverlaySandbox().RunAsync(request, _ => { }, CancellationToken.None));
        else
            await Assert.ThrowsAsync<OrchestratorException>(() => new OverlaySandbox().RunAsync(request, _ => { }, CancellationToken.None));
        Assert.Equal(works, (await SandboxSelector.SelectAsync(busybox.NewStepFolder())).StacksLayers);
    }
}
