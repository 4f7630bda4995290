using Orchestrator.Execution.Local;
using Orchestrator.Layers;
using Orchestrator.Tests.Layers;

namespace Orchestrator.Tests.Local;

/// <summary>USER resolution where the image has no account files: BuildKit reads <c>root</c> as 0 and Docker always lists the primary gid.</summary>
public sealed class ImageUserTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private LayerStackView Image(string? passwd = null, string? group = null)
    {
        var layer = Path.Combine(_temp.Path, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(layer, "etc"));
        if (passwd is not null) File.WriteAllText(Path.Combine(layer, "etc/passwd"), passwd);
        if (group is not null) File.WriteAllText(Path.Combine(layer, "etc/group"), group);
        return new LayerStackView([layer]);
    }

    [Fact]
    public void Root_by_name_needs_no_passwd_entry()
    {
        var image = Image();

        var root = ImageUser.Resolve("root", image);
        var rootGroup = ImageUser.Resolve("root:root", image);

        // BuildKit (runc) sets HOME from the account, and "/" where there is none, root included.
        Assert.Equal((0, 0, "/"), (root.Uid, root.Gid, root.Home));
        Assert.Equal("/root", ImageUser.Resolve("root", Image("root:x:0:0:root:/root:/bin/sh\n")).Home);
        Assert.Equal([0], root.SupplementaryGroups);
        Assert.Equal((0, 0), (rootGroup.Uid, rootGroup.Gid));
        var unknown = Assert.Throws<OrchestratorException>(() => ImageUser.Resolve("builder", image));
        Assert.Contains("'builder'", unknown.Message);
        var unknownGroup = Assert.Throws<OrchestratorException>(() => ImageUser.Resolve("root:staff", image));
        Assert.Contains("'staff'", unknownGroup.Message);
    }

    [Fact]
    public void The_primary_gid_is_always_the_first_supplementary_group()
    {
        var bare = Image();
        var listed = Image("root:x:0:0:root:/root:/bin/sh\nbuilder:x:1000:1000::/home/builder:/bin/sh\n", "root:x:0:\nwheel:x:10:root\nstaff:x:50:builder\n");

        Assert.Equal([0], ImageUser.Resolve(null, bare).SupplementaryGroups);
        Assert.Equal([0], ImageUser.Resolve("1000", bare).SupplementaryGroups);
        Assert.Equal([7], ImageUser.Resolve("1000:7", bare).SupplementaryGroups);
        Assert.Equal([0, 10], ImageUser.Resolve(null, listed).SupplementaryGroups);
        Assert.Equal([1000, 50], ImageUser.Resolve("builder", listed).SupplementaryGroups);
    }
}
