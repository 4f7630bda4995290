using Orchestrator.Layers;

namespace Orchestrator.Tests.Layers;

/// <summary>
/// Resolving a path inside an image root as a chrooted process would, on a real folder holding links
/// (absolute, relative, chains, loops, dangling, to the root, out of the root) and through a layer stack.
/// </summary>
public sealed class ImagePathResolverTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("orchestrator-resolve-").FullName;

    public ImagePathResolverTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "usr", "bin"));
        Directory.CreateDirectory(Path.Combine(_root, "real", "lib"));
        File.WriteAllText(Path.Combine(_root, "real", "lib", "file.txt"), "x");
        Link("bin", "usr/bin");                  // merged /usr, relative
        Link("linked", "/real/lib");             // absolute
        Link("real/lib2", "lib");                // relative, same folder
        Link("chain", "/linked");                // a link to a link
        Link("up", "../../../../real");          // climbs past the root
        Link("rootlink", "/");
        Link("loop-a", "loop-b");
        Link("loop-b", "loop-a");
        Link("dangling", "/nowhere/at/all");
        Link("filelink", "/real/lib/file.txt");
        Link("outside", "/etc");                 // the host's /etc must never be reached
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Link(string at, string target) => File.CreateSymbolicLink(Path.Combine(_root, at), target);

    private string Resolve(string path, bool followFinal = true) => ImagePathResolver.ResolveInFolder(_root, path, followFinal);

    [Theory]
    [InlineData("/bin/tool", "usr/bin/tool")]
    [InlineData("bin/tool", "usr/bin/tool")]
    [InlineData("/linked/sub/x", "real/lib/sub/x")]
    [InlineData("/real/lib2/x", "real/lib/x")]
    [InlineData("/chain/x", "real/lib/x")]
    [InlineData("/chain", "real/lib")]
    [InlineData("/up/lib/file.txt", "real/lib/file.txt")]
    [InlineData("/rootlink/usr/bin", "usr/bin")]
    [InlineData("/rootlink", "")]
    [InlineData("/../../usr/../bin/./x", "usr/bin/x")]
    [InlineData("/", "")]
    [InlineData("/not/there/yet", "not/there/yet")]
    [InlineData("/dangling/x", "nowhere/at/all/x")]
    [InlineData("/filelink", "real/lib/file.txt")]
    [InlineData("/outside/passwd", "etc/passwd")]
    [InlineData("/linked/../x", "real/x")]
    public void Follows_links_inside_the_root(string path, string expected) => Assert.Equal(expected, Resolve(path));

    [Fact]
    public void The_last_element_can_be_kept_as_written()
    {
        Assert.Equal("bin", Resolve("/bin", followFinal: false));
        Assert.Equal("real/lib/lib2", Resolve("/linked/lib2", followFinal: false));
        Assert.Equal("usr/bin", Resolve("/bin", followFinal: true));
    }

    [Fact]
    public void A_loop_is_an_error_that_names_the_path()
    {
        var error = Assert.Throws<OrchestratorException>(() => Resolve("/loop-a/x"));
        Assert.Contains("/loop-a/x", error.Message);
        Assert.Contains("symlinks", error.Message);
    }

    [Fact]
    public void A_layer_stack_resolves_links_from_any_layer()
    {
        var lower = Path.Combine(_root, "stack", "0");
        var upper = Path.Combine(_root, "stack", "1");
        Directory.CreateDirectory(Path.Combine(lower, "usr", "bin"));
        File.CreateSymbolicLink(Path.Combine(lower, "bin"), "usr/bin");
        Directory.CreateDirectory(Path.Combine(upper, "opt", "tools"));
        File.CreateSymbolicLink(Path.Combine(upper, "tools"), "/opt/tools");
        File.WriteAllText(Path.Combine(upper, "opt", "tools", "t"), "t");
        var view = new LayerStackView([upper, lower]);

        Assert.Equal("usr/bin/x", view.ResolveLinks("/bin/x"));
        Assert.Equal("opt/tools/t", view.ResolveLinks("/tools/t"));
        Assert.Equal(Path.Combine(upper, "opt", "tools", "t"), view.Follow("/tools/t"));
        Assert.Equal(Path.Combine(lower, "usr", "bin"), view.Follow("/bin"));
        Assert.Null(view.Follow("/tools/missing"));
    }
}
