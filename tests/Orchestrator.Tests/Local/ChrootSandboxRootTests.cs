using Orchestrator.Execution.Local;
using Orchestrator.Layers;
using Orchestrator.Tests.Layers;

namespace Orchestrator.Tests.Local;

/// <summary>
/// What the chroot fallback does to the root folder around the command: paths resolved inside the
/// root, secrets and their folders gone before the snapshot. Needs root (chroot); unprivileged the
/// sandbox must refuse, which is asserted instead.
/// </summary>
public sealed class ChrootSandboxRootTests(BusyboxStoreFixture busybox) : IClassFixture<BusyboxStoreFixture>
{
    private static List<string> UpperPaths(string upper) =>
        Directory.EnumerateFileSystemEntries(upper, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(upper, p)).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task The_working_directory_is_made_through_image_symlinks_inside_the_root_never_on_the_host()
    {
        var rootfs = await busybox.FlatRootfsAsync();
        var hostSide = $"/tmp/orchestrator-chroot-escape-{Guid.NewGuid():N}";
        // An absolute link: the host would resolve it against its own root.
        File.CreateSymbolicLink(Path.Combine(rootfs, "data"), hostSide);
        var upper = Path.Combine(busybox.NewStepFolder(), "upper");
        var request = new SandboxRequest([rootfs], upper, ["/bin/sh", "-c", "pwd > /pwd.txt"]) { WorkingDirectory = "/data/app" };

        if (!Stat.IsRoot)
        {
            await Assert.ThrowsAsync<OrchestratorException>(() => new ChrootSandbox().RunAsync(request, _ => { }, CancellationToken.None));
            return;
        }
        var exit = await new ChrootSandbox().RunAsync(request, _ => { }, CancellationToken.None);

        Assert.Equal(0, exit);
        Assert.False(Directory.Exists(hostSide));
        Assert.True(Directory.Exists(Path.Combine(rootfs, hostSide.TrimStart('/'), "app")));
        // The physical path inside the root: the link's target, now a folder of the image.
        Assert.Equal(hostSide + "/app\n", File.ReadAllText(Path.Combine(rootfs, "pwd.txt")));
    }

    [Fact]
    public async Task Folders_made_only_for_a_secret_are_gone_before_the_snapshot_and_an_existing_target_is_refused()
    {
        var rootfs = await busybox.FlatRootfsAsync();
        var secret = Path.Combine(busybox.NewStepFolder(), "token");
        await File.WriteAllTextAsync(secret, "s3cr3t");
        var timeBefore = Stat.Of(rootfs).ModificationTime;
        var upper = Path.Combine(busybox.NewStepFolder(), "upper");
        var request = new SandboxRequest([rootfs], upper, ["/bin/sh", "-c", "cat /run/secrets/deep/token > /copied"])
        {
            Secrets = [new SandboxBind(secret, "/run/secrets/deep/token")],
        };

        if (!Stat.IsRoot)
        {
            await Assert.ThrowsAsync<OrchestratorException>(() => new ChrootSandbox().RunAsync(request, _ => { }, CancellationToken.None));
            return;
        }
        var exit = await new ChrootSandbox().RunAsync(request, _ => { }, CancellationToken.None);

        Assert.Equal(0, exit);
        Assert.False(Directory.Exists(Path.Combine(rootfs, "run")));
        Assert.Equal(timeBefore.Seconds, Stat.Of(rootfs).ModificationTime.Seconds);
        Assert.Equal(["copied"], UpperPaths(upper));

        var clash = request with { UpperFolder = Path.Combine(busybox.NewStepFolder(), "upper"), Secrets = [new SandboxBind(secret, "/etc/passwd")] };
        var error = await Assert.ThrowsAsync<OrchestratorException>(() => new ChrootSandbox().RunAsync(clash, _ => { }, CancellationToken.None));
        Assert.Contains("/etc/passwd", error.Message);
        Assert.Contains("root:x:0:0", File.ReadAllText(Path.Combine(rootfs, "etc/passwd")));
    }

    [Fact]
    public async Task A_root_without_device_nodes_gets_the_hosts_devices_for_the_step_and_none_in_the_layer()
    {
        var rootfs = await busybox.FlatRootfsAsync(); // busybox from a file: no /dev at all, as a Debian base extracted in a user namespace lacks its nodes
        Assert.False(Directory.Exists(Path.Combine(rootfs, "dev")));
        var upper = Path.Combine(busybox.NewStepFolder(), "upper");
        var lines = new List<string>();
        var request = new SandboxRequest([rootfs], upper, ["/bin/sh", "-c", "echo gone > /dev/null && test -c /dev/null && test -c /dev/urandom && head -c 3 /dev/zero | wc -c > /zeros"]);

        if (!Stat.IsRoot)
        {
            await Assert.ThrowsAsync<OrchestratorException>(() => new ChrootSandbox().RunAsync(request, l => lines.Add(l.Text), CancellationToken.None));
            return;
        }
        var exit = await new ChrootSandbox().RunAsync(request, l => lines.Add(l.Text), CancellationToken.None);

        Assert.True(exit == 0, string.Join('\n', lines));
        Assert.Equal("3", File.ReadAllText(Path.Combine(rootfs, "zeros")).Trim());
        Assert.False(Directory.Exists(Path.Combine(rootfs, "dev")));
        Assert.Equal(["zeros"], UpperPaths(upper));
    }
}
