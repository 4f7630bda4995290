using System.Runtime.Versioning;
using Orchestrator.Caching;
using Orchestrator.Layers;

namespace Orchestrator.Tests.Caching;

[SupportedOSPlatform("linux")]
public sealed class CopySourceHasherTests : IDisposable
{
    private readonly KeyTestContext _test = new();
    private readonly CopySourceHasher _hasher = new(new FileContentHasher(null));

    public void Dispose() => _test.Dispose();

    private Task<SelectionDigest> FolderAsync(string root, params string[] sources) => _hasher.HashFolderAsync(root, sources, null, null, CancellationToken.None);

    private Task<SelectionDigest> ViewAsync(IReadOnlyList<string> layersTopFirst, params string[] sources) =>
        _hasher.HashLayerStackAsync(new LayerStackView(layersTopFirst), sources, null, CancellationToken.None);

    [Fact]
    public async Task A_layer_stack_gives_the_digest_of_the_same_files_in_a_folder()
    {
        var lower = Path.Combine(_test.Root, "lower");
        var upper = Path.Combine(_test.Root, "upper");
        var flat = Path.Combine(_test.Root, "flat");
        _test.Write("app/bin/tool", "old tool", lower);
        _test.Write("app/lib/a.so", "a", lower);
        _test.Write("app/bin/tool", "new tool", upper);
        _test.Write("app/share/doc.txt", "doc", upper);
        _test.Write("etc/other", "not copied", upper);
        _test.Write("app/bin/tool", "new tool", flat);
        _test.Write("app/lib/a.so", "a", flat);
        _test.Write("app/share/doc.txt", "doc", flat);
        foreach (var root in new[] { lower, upper, flat })
            foreach (var folder in Directory.GetDirectories(root, "*", SearchOption.AllDirectories).Append(root))
                File.SetUnixFileMode(folder, (UnixFileMode)Convert.ToInt32("755", 8));

        var fromFolder = await FolderAsync(flat, "app");
        var fromView = await ViewAsync([upper, lower], "/app");
        Assert.Equal(fromFolder, fromView);
        Assert.Equal(7, fromView.Entries); // the source folder, bin, bin/tool, lib, lib/a.so, share, share/doc.txt
    }

    [Fact]
    public async Task A_wildcard_matches_the_merged_listing_and_a_linked_source_is_followed()
    {
        var lower = Path.Combine(_test.Root, "lower");
        var upper = Path.Combine(_test.Root, "upper");
        var flat = Path.Combine(_test.Root, "flat");
        _test.Write("out/a.py", "a", lower);
        _test.Write("out/b.py", "b", upper);
        _test.Write("out/c.txt", "c", upper);
        _test.Write("real/tool", "tool", upper);
        File.CreateSymbolicLink(Path.Combine(upper, "tool"), "/real/tool");
        _test.Write("a.py", "a", flat);
        _test.Write("b.py", "b", flat);
        _test.Write("tool", "tool", flat);

        Assert.Equal(await FolderAsync(flat, "a.py", "b.py", "tool"), await ViewAsync([upper, lower], "out/*.py", "tool"));
    }

    [Fact]
    public async Task Ignored_files_are_not_part_of_the_selection()
    {
        _test.Write("src/a.py", "a");
        _test.Write("src/a.log", "log");
        var all = await FolderAsync(_test.Context, "src");
        var ignored = await _hasher.HashFolderAsync(_test.Context, ["src"], null, p => p.EndsWith(".log", StringComparison.Ordinal), CancellationToken.None);
        Assert.NotEqual(all.Digest, ignored.Digest);
        _test.Write("src/a.log", "another log");
        Assert.Equal(ignored, await _hasher.HashFolderAsync(_test.Context, ["src"], null, p => p.EndsWith(".log", StringComparison.Ordinal), CancellationToken.None));
    }

    [Fact]
    public async Task Groups_name_the_top_level_entries_under_the_destination()
    {
        _test.Write("src/app.py", "a");
        _test.Write("src/lib/util.py", "u");
        var digest = await FolderAsync(_test.Context, "src");
        Assert.Equal(["app.py", "lib"], digest.Groups.Select(g => g.Key));
        Assert.Equal(4, digest.Entries); // the source folder, app.py, lib, lib/util.py
        Assert.Equal(2, digest.Bytes);
    }

    [Fact]
    public async Task Too_many_top_level_entries_leave_the_groups_out()
    {
        for (var i = 0; i <= SelectionDigest.MaxGroups; i++) _test.Write($"many/f{i}", "x");
        var digest = await FolderAsync(_test.Context, "many");
        Assert.Empty(digest.Groups);
        Assert.Equal(SelectionDigest.MaxGroups + 2, digest.Entries);
    }

    [Fact]
    public async Task A_bad_chmod_is_a_user_error()
    {
        _test.Write("a", "a");
        var error = await Assert.ThrowsAsync<OrchestratorException>(() => _hasher.HashFolderAsync(_test.Context, ["a"], "rwx", null, CancellationToken.None));
        Assert.Contains("--chmod=rwx", error.Message);
    }
}
