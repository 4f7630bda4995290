using System.Runtime.Versioning;

namespace Orchestrator.Tests.Conformance;

/// <summary>The relative form of the BuildKit track: what an image changed in its base, and its golden file round trip.</summary>
[SupportedOSPlatform("linux")]
public sealed class RootfsChangesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orchestrator-rootfs-changes-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static RootfsEntry File(string path, int mode, string content, long uid = 0) =>
        new(path, "file", mode, uid, 0, content.Length, "hash-of-" + content, null, null);

    private static RootfsSnapshot Snapshot(params RootfsEntry[] entries) => new(entries.ToDictionary(e => e.Path, StringComparer.Ordinal));

    private static readonly RootfsSnapshot Base = Snapshot(
        new RootfsEntry("/bin", "dir", 0x1ED, 0, 0, 0, null, null, null),
        File("/bin/tool", 0x1ED, "tool v1"),
        File("/etc/passwd", 0x1A4, "root"),
        File("/etc/group", 0x1A4, "root"),
        File("/etc/motd", 0x1A4, "hello"));

    [Fact]
    public void Lists_added_changed_and_removed_entries_and_nothing_the_base_holds_alike()
    {
        var image = Snapshot(
            new RootfsEntry("/bin", "dir", 0x1ED, 0, 0, 0, null, null, null),
            File("/bin/tool", 0x1C0, "tool v1"),          // chmod only
            File("/etc/passwd", 0x1A4, "root", uid: 1000), // chown only
            File("/etc/motd", 0x1A4, "changed"),          // new content
            new RootfsEntry("/link", "symlink", 0x1FF, 0, 0, 0, null, "/etc/motd", null));

        var changes = image.ChangesFrom(Base).Entries;

        Assert.Equal(["/bin/tool", "/etc/group", "/etc/motd", "/etc/passwd", "/link"], changes.Keys);
        Assert.Equal(File("/bin/tool", 0x1C0, "") with { ContentHash = RootfsEntry.SameContentAsBase }, changes["/bin/tool"]);
        Assert.Equal(RootfsEntry.SameContentAsBase, changes["/etc/passwd"].ContentHash);
        Assert.Equal(1000, changes["/etc/passwd"].Uid);
        Assert.Equal("hash-of-changed", changes["/etc/motd"].ContentHash);
        Assert.Equal(RootfsEntry.Removed("/etc/group"), changes["/etc/group"]);
        Assert.Equal("/etc/motd", changes["/link"].LinkTarget);
    }

    [Fact]
    public void A_metadata_change_compares_equal_on_a_newer_base_and_a_removal_is_reported_as_such()
    {
        var newerBase = Snapshot([.. Base.Entries.Values.Where(e => e.Path != "/bin/tool"), File("/bin/tool", 0x1ED, "tool v2, longer")]);
        var expected = Snapshot(File("/bin/tool", 0x1C0, "tool v1"), File("/etc/group", 0x1A4, "root")).ChangesFrom(Base);
        var actual = Snapshot(File("/bin/tool", 0x1C0, "tool v2, longer")).ChangesFrom(newerBase);

        var differences = new RootfsComparer([]).Compare(expected, actual, "buildkit", "ours");

        // /bin/tool: the same chmod on either base. /etc/group: kept as in the base by one, removed by the other.
        Assert.Equal(["/etc/group: only in ours (removed)"], differences);
    }

    [Fact]
    public void A_golden_reads_back_as_written_and_a_shape_golden_keeps_only_the_shape()
    {
        var changes = Snapshot(
            File("/srv/app.conf", 0x9ED, "conf", uid: 1000),
            new RootfsEntry("/srv/link", "symlink", 0x1FF, 0, 0, 0, null, "app.conf", null),
            File("/bin/tool", 0x1C0, "") with { ContentHash = RootfsEntry.SameContentAsBase },
            RootfsEntry.Removed("/etc/group"));
        var config = new ImageConfigFields(new Dictionary<string, string> { ["Cmd"] = "[\"/bin/sh\"]", ["User"] = "\"1000\"" });
        var full = Path.Combine(_folder, "full.json");
        var shape = Path.Combine(_folder, "shape.json");

        new BuildKitGolden("v0.11.6", "BUSYBOX", true, config, changes).WriteFile(full);
        new BuildKitGolden("v0.11.6", "DEBIAN", false, config, changes).WriteFile(shape);
        var fullBack = BuildKitGolden.ReadFile(full);
        var shapeBack = BuildKitGolden.ReadFile(shape);

        Assert.Empty(new RootfsComparer([]).Compare(changes, fullBack.Changes));
        Assert.Empty(config.Differences(fullBack.Config, "written", "read"));
        Assert.True(fullBack.ContentCompared);
        Assert.Equal(("v0.11.6", "BUSYBOX"), (fullBack.BuildKit, fullBack.Base));
        Assert.DoesNotContain("\\u0022", System.IO.File.ReadAllText(full)); // quotes in config values stay readable
        Assert.False(shapeBack.ContentCompared);
        Assert.Empty(new RootfsComparer([]).Compare(changes.ShapeOnly(), shapeBack.Changes));
        Assert.DoesNotContain("sha256", System.IO.File.ReadAllText(shape));
    }
}
