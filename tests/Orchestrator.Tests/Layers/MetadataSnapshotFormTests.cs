using Orchestrator.Layers;

namespace Orchestrator.Tests.Layers;

/// <summary>The metadata walk leaves the upper folder overlay would have left for the same changes.</summary>
public sealed class MetadataSnapshotFormTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Root()
    {
        var root = _temp.Sub("rootfs");
        Directory.CreateDirectory(Path.Combine(root, "d/old"));
        File.WriteAllText(Path.Combine(root, "d/old/a"), "a");
        File.WriteAllText(Path.Combine(root, "one"), "1");
        Libc.HardLink(Path.Combine(root, "one"), Path.Combine(root, "two"));
        return root;
    }

    private static List<string> Paths(string upper) =>
        Directory.EnumerateFileSystemEntries(upper, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(upper, p)).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public void A_directory_deleted_and_made_again_is_opaque_even_when_its_inode_number_comes_back()
    {
        var root = Root();
        var snapshot = MetadataSnapshot.Capture(root);

        Directory.Delete(Path.Combine(root, "d"), recursive: true);
        Directory.CreateDirectory(Path.Combine(root, "d/new"));
        var upper = Path.Combine(_temp.Path, "upper");
        snapshot.WriteChangesAsUpper(upper);

        // ext4 and tmpfs usually give the freed inode number to the new folder; either way it is opaque.
        Assert.Equal("y", Stat.Xattr(Path.Combine(upper, "d"), LayerMarkers.UserOpaqueXattr));
        Assert.Equal(["d", "d/new"], Paths(upper));
    }

    [Fact]
    public void Removing_one_name_of_a_file_records_only_that_name_and_new_names_stay_linked()
    {
        var root = Root();
        var snapshot = MetadataSnapshot.Capture(root);

        File.Delete(Path.Combine(root, "two"));
        File.WriteAllText(Path.Combine(root, "fresh"), "f");
        Libc.HardLink(Path.Combine(root, "fresh"), Path.Combine(root, "fresh-link"));
        var upper = Path.Combine(_temp.Path, "upper");
        snapshot.WriteChangesAsUpper(upper);

        // "one" lost a name (its ctime moved) but is unchanged: overlay would not copy it up.
        Assert.Equal(["fresh", "fresh-link", "two"], Paths(upper));
        Assert.True(Stat.IsWhiteout(Path.Combine(upper, "two")));
        Assert.Equal(Stat.Of(Path.Combine(upper, "fresh")).Inode, Stat.Of(Path.Combine(upper, "fresh-link")).Inode);
    }
}
