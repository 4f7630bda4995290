using System.Text;
using Orchestrator.Layers;
using Orchestrator.Oci;

namespace Orchestrator.Tests.Layers;

/// <summary>
/// <see cref="LayerStore.Adopt"/>: an upper folder becomes a store folder by rename, in the store's form —
/// overlay's bookkeeping gone, our owner records and opaque markers kept, xattr whiteouts turned into
/// the 0/0 devices every reader of the store understands.
/// </summary>
public sealed class LayerStoreAdoptTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static readonly Digest DiffId = Digest.Sha256("adopt-test"u8.ToArray());

    private string Upper()
    {
        var upper = _temp.Sub("tmp/upper");
        Directory.CreateDirectory(Path.Combine(upper, "etc"));
        Directory.CreateDirectory(Path.Combine(upper, "data"));
        File.WriteAllText(Path.Combine(upper, "etc/made"), "made");
        Assert.Equal(0, Libc.TrySetXattr(Path.Combine(upper, "etc/made"), "user.overlay.origin", [1, 2, 3]));
        Assert.Equal(0, Libc.TrySetXattr(Path.Combine(upper, "etc/made"), LayerMarkers.OwnerXattr, Encoding.ASCII.GetBytes("1000:50")));
        Assert.Equal(0, Libc.TrySetXattr(Path.Combine(upper, "etc"), "user.overlay.impure", "y"u8.ToArray()));
        Assert.Equal(0, Libc.TrySetXattr(Path.Combine(upper, "data"), LayerMarkers.UserOpaqueXattr, "y"u8.ToArray()));
        File.WriteAllText(Path.Combine(upper, "etc/gone"), "");
        Assert.Equal(0, Libc.TrySetXattr(Path.Combine(upper, "etc/gone"), LayerMarkers.UserWhiteoutXattr, []));
        return upper;
    }

    [Fact]
    public void The_upper_folder_is_renamed_into_the_store_in_the_store_form()
    {
        var upper = Upper();
        var inode = Stat.Of(Path.Combine(upper, "etc/made")).Inode;
        var store = new LayerStore(_temp.Path);

        var folder = store.Adopt(DiffId, upper);

        Assert.Equal(store.PathFor(DiffId), folder);
        Assert.False(Directory.Exists(upper));
        Assert.Equal(inode, Stat.Of(Path.Combine(folder, "etc/made")).Inode);
        Assert.Equal([LayerMarkers.OwnerXattr], Libc.ListXattrs(Path.Combine(folder, "etc/made")));
        Assert.Empty(Libc.ListXattrs(Path.Combine(folder, "etc")));
        Assert.Equal("y", Stat.Xattr(Path.Combine(folder, "data"), LayerMarkers.UserOpaqueXattr));
        Assert.True(Stat.IsWhiteout(Path.Combine(folder, "etc/gone")));
        var lower = _temp.Sub("lower/etc");
        File.WriteAllText(Path.Combine(lower, "gone"), "old");
        Assert.Null(new LayerStackView([folder, _temp.Sub("lower")]).Resolve("etc/gone"));
        Assert.Equal(0x1C0u, Stat.Mode(Path.Combine(_temp.Path, "layers")));
    }

    [Fact]
    public void When_the_layer_is_already_stored_the_upper_folder_is_dropped_and_the_stored_one_kept()
    {
        var store = new LayerStore(_temp.Path);
        var first = store.Adopt(DiffId, Upper());
        var inode = Stat.Of(Path.Combine(first, "etc/made")).Inode;
        var again = Upper();

        var second = store.Adopt(DiffId, again);

        Assert.Equal(first, second);
        Assert.False(Directory.Exists(again));
        Assert.Equal(inode, Stat.Of(Path.Combine(second, "etc/made")).Inode);
    }
}
