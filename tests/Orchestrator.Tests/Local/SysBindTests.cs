using Orchestrator.Execution.Local;
using Orchestrator.Testing;

namespace Orchestrator.Tests.Local;

/// <summary>
/// The fallback /sys of a step (the host's, bound recursively and made read-only mount by mount), as fstab lines:
/// checked against this machine's own mount table.
/// </summary>
public sealed class SysBindTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orchestrator-sys-bind-").FullName;

    public void Dispose() => TreeDeleter.Delete(_folder);

    private static Dictionary<string, string[]> HostSysMounts() =>
        File.ReadLines("/proc/self/mounts").Select(l => l.Split(' ')).Where(f => f.Length > 3 && (f[1] == "/sys" || f[1].StartsWith("/sys/", StringComparison.Ordinal)))
            .GroupBy(f => f[1]).ToDictionary(g => g.Key, g => g.Last()[3].Split(','), StringComparer.Ordinal);

    [Fact]
    public void Every_mount_of_the_hosts_sys_is_remounted_read_only_with_its_own_atime_flags()
    {
        var root = Directory.CreateDirectory(Path.Combine(_folder, "root")).FullName;
        var (lines, real) = MountPlan.SysBind(Path.Combine(root, "sys")) ?? throw new Xunit.Sdk.XunitException("no /sys lines for a plain path");

        Assert.Equal(Path.Combine(root, "sys"), real);
        var entries = lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToList();
        Assert.Equal(["/sys", real, "none", "rbind", "0", "0"], entries[0]);
        var remounts = entries.Skip(1).ToDictionary(e => "/sys" + e[1][real.Length..], e => e[3].Split(','), StringComparer.Ordinal);
        Assert.Equal(HostSysMounts().Keys.Append("/sys").Distinct().Order(StringComparer.Ordinal), remounts.Keys.Order(StringComparer.Ordinal));
        foreach (var (at, host) in HostSysMounts())
        {
            var options = remounts[at];
            Assert.Subset(new HashSet<string>(options), new HashSet<string> { "remount", "bind", "ro", "nosuid", "nodev", "noexec" });
            var expected = host.Contains("noatime") ? "noatime" : host.Contains("relatime") ? "relatime" : "strictatime";
            Assert.True(options.Contains(expected), $"{at}: the host mounts it with {string.Join(',', host)}; the remount says {string.Join(',', options)}");
            Assert.Equal(host.Contains("nodiratime"), options.Contains("nodiratime"));
        }
    }

    [Fact]
    public void The_lines_name_the_mount_point_with_its_links_resolved_as_the_mount_table_does()
    {
        var root = Directory.CreateDirectory(Path.Combine(_folder, "real-root")).FullName;
        var linked = Path.Combine(_folder, "linked-root");
        File.CreateSymbolicLink(linked, root);

        var (lines, real) = MountPlan.SysBind(Path.Combine(linked, "sys"))!.Value;

        Assert.Equal(Path.Combine(root, "sys"), real);
        Assert.DoesNotContain(linked, lines);
    }

    [Fact]
    public void A_mount_point_whose_path_the_mount_table_would_escape_gets_no_lines()
    {
        var root = Directory.CreateDirectory(Path.Combine(_folder, "with space")).FullName;
        Assert.Null(MountPlan.SysBind(Path.Combine(root, "sys")));
    }
}
