using System.Runtime.Versioning;

namespace Orchestrator.Tests.Conformance;

/// <summary>The comparer itself: every kind of difference is found, all of them are listed, ignores hold.</summary>
[SupportedOSPlatform("linux")]
public sealed class RootfsComparerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orchestrator-rootfs-compare-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Tree(string name, Action<string> build)
    {
        var root = Directory.CreateDirectory(Path.Combine(_folder, name)).FullName;
        build(root);
        return root;
    }

    private static void Common(string root)
    {
        Directory.CreateDirectory(Path.Combine(root, "etc"));
        File.WriteAllText(Path.Combine(root, "etc", "same"), "same");
        File.WriteAllText(Path.Combine(root, "etc", "content"), "abc");
        File.WriteAllText(Path.Combine(root, "etc", "mode"), "m");
        File.WriteAllText(Path.Combine(root, "var.log"), "volatile");
    }

    [Fact]
    public void Lists_every_difference_and_nothing_else()
    {
        var expected = Tree("expected", root =>
        {
            Common(root);
            File.SetUnixFileMode(Path.Combine(root, "etc", "mode"), (UnixFileMode)0x9ED); // 4755
            File.CreateSymbolicLink(Path.Combine(root, "link"), "etc/same");
            File.WriteAllText(Path.Combine(root, "only-expected"), "x");
            File.WriteAllText(Path.Combine(root, "hard-a"), "h");
            Orchestrator.Layers.Libc.HardLink(Path.Combine(root, "hard-a"), Path.Combine(root, "hard-b"));
        });
        var actual = Tree("actual", root =>
        {
            Common(root);
            File.WriteAllText(Path.Combine(root, "etc", "content"), "abd");
            File.WriteAllText(Path.Combine(root, "var.log"), "other volatile bytes");
            File.SetUnixFileMode(Path.Combine(root, "etc", "mode"), (UnixFileMode)0x1ED); // 0755
            File.CreateSymbolicLink(Path.Combine(root, "link"), "/etc/same");
            Directory.CreateDirectory(Path.Combine(root, "only-actual"));
            File.WriteAllText(Path.Combine(root, "hard-a"), "h");
            File.WriteAllText(Path.Combine(root, "hard-b"), "h");
        });

        var differences = new RootfsComparer(["/var.*"]).Compare(RootfsSnapshot.Read(expected), RootfsSnapshot.Read(actual));

        // Ordered by path; each difference named with both sides.
        string[] starts =
        [
            "/etc/content: content ",
            "/etc/mode: mode 4755 (buildah) vs 0755 (ours)",
            "/hard-a: hardlinked with '/hard-a' (buildah) vs '-' (ours)",
            "/hard-b: hardlinked with '/hard-a' (buildah) vs '-' (ours)",
            "/link: link target 'etc/same' (buildah) vs '/etc/same' (ours)",
            "/only-actual: only in ours (dir ",
            "/only-expected: only in buildah (file ",
        ];
        Assert.True(differences.Count == starts.Length, RootfsComparer.Report(differences));
        for (var i = 0; i < starts.Length; i++) Assert.StartsWith(starts[i], differences[i]);
    }

    [Fact]
    public void Shadow_files_compare_without_the_day_of_the_last_password_change_and_by_every_other_byte()
    {
        static void Shadow(string root, string text)
        {
            Directory.CreateDirectory(Path.Combine(root, "etc"));
            File.WriteAllText(Path.Combine(root, "etc", "shadow"), text);
            File.WriteAllText(Path.Combine(root, "etc", "passwd"), text);
        }
        var monday = RootfsSnapshot.Read(Tree("monday", r => Shadow(r, "root:*:20788:0:99999:7:::\nuser:!:20788:0:99999:7:::\n")));
        var friday = RootfsSnapshot.Read(Tree("friday", r => Shadow(r, "root:*:20792:0:99999:7:::\nuser:!:20792:0:99999:7:::\n")));
        var other = RootfsSnapshot.Read(Tree("other", r => Shadow(r, "root:*:20792:0:99999:7:::\nuser:!:20792:1:99999:7:::\n")));

        var comparer = new RootfsComparer([]);
        Assert.Equal(["/etc/passwd: content " + Short(monday, "/etc/passwd") + " (buildah) vs " + Short(friday, "/etc/passwd") + " (ours)"],
            comparer.Compare(monday, friday).Where(d => d.Contains("content")));
        Assert.Contains(comparer.Compare(friday, other), d => d.StartsWith("/etc/shadow: content", StringComparison.Ordinal));
    }

    private static string Short(RootfsSnapshot snapshot, string path) => snapshot.Entries[path].ContentHash![..12];

    [Fact]
    public void Identical_trees_have_no_differences()
    {
        var a = Tree("a", Common);
        var b = Tree("b", Common);
        Assert.Empty(new RootfsComparer([]).Compare(RootfsSnapshot.Read(a), RootfsSnapshot.Read(b)));
    }
}
