using System.Formats.Tar;
using System.IO.Compression;
using Orchestrator.Layers;

namespace Orchestrator.Tests.Layers;

public sealed class MetadataSnapshotTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Changes_found_by_a_metadata_walk_become_the_same_kind_of_layer_as_an_overlay_diff()
    {
        var root = _temp.Sub("rootfs");
        var baseLayer = new TestTar()
            .Dir("etc/").File("etc/group", "g").File("etc/hostname", "old").File("etc/motd", "m")
            .Dir("var/").Dir("var/lib/").File("var/lib/state", "s").Dir("var/log/").File("var/log/a.log", "a")
            .Dir("usr/").File("usr/tool", "t")
            .Plain();
        var flatten = new LayerExtractor(new() { Whiteouts = WhiteoutMode.Apply });
        await flatten.ExtractAsync(new MemoryStream(baseLayer), root);
        var snapshot = MetadataSnapshot.Capture(root);

        File.Delete(Path.Combine(root, "etc/group"));
        File.WriteAllText(Path.Combine(root, "etc/hostname"), "new"); // same size: ctime/mtime reveal it
        Libc.Chmod(Path.Combine(root, "usr/tool"), 0x1ED);
        Directory.Delete(Path.Combine(root, "var/log"), recursive: true);
        Directory.Delete(Path.Combine(root, "var/lib"), recursive: true);
        Directory.CreateDirectory(Path.Combine(root, "var/lib"));
        File.WriteAllText(Path.Combine(root, "var/lib/fresh"), "f");
        Directory.CreateDirectory(Path.Combine(root, "opt/app"));
        File.WriteAllText(Path.Combine(root, "opt/app/run"), "r");

        var upper = Path.Combine(_temp.Path, "upper");
        snapshot.WriteChangesAsUpper(upper);
        var blob = await new LayerWriter(new() { Timestamps = TimestampPolicy.Fixed(DateTimeOffset.UnixEpoch) }).WriteOverlayUpperAsync(upper, _temp.Sub("blobs"));

        var names = new List<string>();
        using (var reader = new TarReader(new GZipStream(File.OpenRead(blob.Path), CompressionMode.Decompress)))
            while (reader.GetNextEntry() is { } e) names.Add(e.Name);
        Assert.Contains("etc/.wh.group", names);
        Assert.Contains("var/.wh.log", names);
        Assert.DoesNotContain("etc/motd", names); // untouched files stay out of the layer
        Assert.DoesNotContain(names, n => n.StartsWith("var/log/", StringComparison.Ordinal));

        // The real test: base + produced layer, applied in order, rebuild exactly the changed tree.
        var replay = _temp.Sub("replay");
        await flatten.ExtractAsync(new MemoryStream(baseLayer), replay);
        await using (var produced = File.OpenRead(blob.Path)) await flatten.ExtractAsync(produced, replay);
        Assert.Equal(Tree(root), Tree(replay));
    }

    private static List<string> Tree(string root) =>
        Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(root, p) + (File.Exists(p) ? " " + File.ReadAllText(p) + " " + Stat.Mode(p) : "/"))
            .Order(StringComparer.Ordinal).ToList();
}
