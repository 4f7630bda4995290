using System.Formats.Tar;
using System.IO.Compression;
using System.Runtime.Versioning;
using Orchestrator.Cli;
using Orchestrator.Testing;
using Orchestrator.Tests.Conformance;
using Orchestrator.Tests.Layers;

namespace Orchestrator.Tests.Execution;

/// <summary>
/// Every instruction that writes at a path of the image resolves that path through the image's own
/// symlinks, inside the image root, as Docker's builder does: COPY/ADD destinations (files, folders,
/// archives), WORKDIR, cache mount targets, and <c>COPY --from</c> sources read through the other
/// stage's links. Built with the executor (both sandboxes where a RUN is involved), checked on the
/// image as umoci unpacks it.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class SymlinkedPathTests(ConformanceEnvironment environment) : IClassFixture<ConformanceEnvironment>, IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("overlay")]
    [InlineData("chroot")]
    public async Task Copy_into_bin_on_a_merged_usr_debian_keeps_the_link_and_the_shell(string sandbox)
    {
        if (sandbox == "chroot" && !Stat.IsRoot) return; // the fallback's refusal as non-root is asserted by SandboxParityTests
        var context = Context("""
            ARG DEBIAN
            FROM ${DEBIAN}
            COPY --chmod=0755 tool.sh /bin/tool
            ADD tool.sh /sbin/
            COPY tool.sh /usr/local/bin/
            RUN /bin/tool > /ran.txt && ls -ld /bin /sbin /lib > /links.txt
            """, ("tool.sh", "#!/bin/sh\necho tool ran\n"));

        var rootfs = await BuildAsync(context, sandbox, ("DEBIAN", await environment.DebianAsync()));

        Assert.Equal("usr/bin", Entry(rootfs, "/bin").LinkTarget);
        Assert.Equal("usr/sbin", Entry(rootfs, "/sbin").LinkTarget);
        Assert.Equal("file", Entry(rootfs, "/usr/bin/tool").Type);
        Assert.Equal(0x1ED, Entry(rootfs, "/usr/bin/tool").Mode);
        Assert.Equal("file", Entry(rootfs, "/usr/sbin/tool.sh").Type);
        Assert.Equal("file", Entry(rootfs, "/usr/local/bin/tool.sh").Type);
        Assert.True(File.Exists(Path.Combine(rootfs.Folder, "usr", "bin", "bash")), "the image lost its shell");
        Assert.Equal("tool ran\n", Read(rootfs, "/ran.txt"));
    }

    [Theory]
    [InlineData("overlay")]
    [InlineData("chroot")]
    public async Task Links_the_image_makes_itself_are_followed_by_copy_add_workdir_and_mounts(string sandbox)
    {
        if (sandbox == "chroot" && !Stat.IsRoot) return; // the fallback's refusal as non-root is asserted by SandboxParityTests
        var context = Context("""
            ARG BUSYBOX
            FROM ${BUSYBOX}
            RUN mkdir -p /real/lib && ln -s /real/lib /linked && ln -s lib /real/lib2 && ln -s /linked /chain && echo old > /real/lib/target.txt && ln -s /real/lib/target.txt /filelink
            COPY payload/ /linked/
            COPY a.txt /real/lib2/
            COPY b.txt /chain/sub/
            ADD archive.tar /linked/unpacked/
            WORKDIR /linked/wd
            RUN pwd > /pwd.txt
            COPY c.txt ./
            COPY d.txt /filelink
            """,
            ("payload/p.txt", "p"), ("payload/deeper/q.txt", "q"), ("a.txt", "a"), ("b.txt", "b"), ("c.txt", "c"), ("d.txt", "new"));
        WriteTar(Path.Combine(context, "archive.tar"), ("inner/i.txt", "i"));

        var rootfs = await BuildAsync(context, sandbox);

        Assert.Equal("/real/lib", Entry(rootfs, "/linked").LinkTarget);
        Assert.Equal("lib", Entry(rootfs, "/real/lib2").LinkTarget);
        Assert.Equal("/linked", Entry(rootfs, "/chain").LinkTarget);
        Assert.Equal("p", Read(rootfs, "/real/lib/p.txt"));
        Assert.Equal("q", Read(rootfs, "/real/lib/deeper/q.txt"));
        Assert.Equal("a", Read(rootfs, "/real/lib/a.txt"));
        Assert.Equal("b", Read(rootfs, "/real/lib/sub/b.txt"));
        Assert.Equal("i", Read(rootfs, "/real/lib/unpacked/inner/i.txt"));
        Assert.Equal("dir", Entry(rootfs, "/real/lib/wd").Type);
        Assert.Equal("/real/lib/wd\n", Read(rootfs, "/pwd.txt"));
        Assert.Equal("c", Read(rootfs, "/real/lib/wd/c.txt"));
        // A destination that is itself a link to a file: the link stays and its target gets the content (BuildKit).
        Assert.Equal("/real/lib/target.txt", Entry(rootfs, "/filelink").LinkTarget);
        Assert.Equal("new", Read(rootfs, "/real/lib/target.txt"));
    }

    /// <summary>Overlay only: cache mounts need mount namespaces, which the fallback refuses with its own message (ChrootSandboxTests).</summary>
    [Fact]
    public async Task A_cache_mount_target_behind_a_link_is_mounted_inside_the_image()
    {
        var context = Context("""
            ARG BUSYBOX
            FROM ${BUSYBOX}
            RUN mkdir -p /var/real-cache && ln -s /var/real-cache /cachelink
            RUN --mount=type=cache,target=/cachelink/apt echo cached > /cachelink/apt/x && ls /var/real-cache/apt > /seen.txt
            """);

        var rootfs = await BuildAsync(context, "overlay");

        Assert.Equal("x\n", Read(rootfs, "/seen.txt"));
        Assert.False(File.Exists(Path.Combine(rootfs.Folder, "var", "real-cache", "apt", "x")), "a cache mount's content reached the layer");
    }

    [Fact]
    public async Task Copy_from_a_stage_reads_through_that_stages_links()
    {
        var context = Context("""
            ARG BUSYBOX
            FROM ${BUSYBOX} AS source
            RUN mkdir -p /real/lib /temp /context /usr/lib && echo a > /real/lib/a.txt && ln -s /real/lib /linked && ln -s /linked /chain \
             && echo target > /temp/target && ln -s ../temp/target /context/relative_link \
             && echo os > /usr/lib/os-release && ln -sf ../usr/lib/os-release /etc/os-release \
             && echo b1 > /context/b1 && echo b2 > /context/b2 && ln -s /temp/target /context/blink && echo other > /context/other
            FROM ${BUSYBOX}
            COPY --from=source /linked/ /copied/
            COPY --from=source /chain/a.txt /copied-a.txt
            COPY --from=source /context/relative_link /x/
            COPY --from=source /etc/os-release /etc/
            COPY --from=source context/b* /bs/
            """);

        var rootfs = await BuildAsync(context, "overlay");

        Assert.Equal("a\n", Read(rootfs, "/copied/a.txt"));
        Assert.Equal("a\n", Read(rootfs, "/copied-a.txt"));
        Assert.Equal("target\n", Read(rootfs, "/x/relative_link"));
        Assert.Equal("file", Entry(rootfs, "/etc/os-release").Type);
        Assert.Equal("os\n", Read(rootfs, "/etc/os-release"));
        Assert.Equal("b1\n", Read(rootfs, "/bs/b1"));
        Assert.Equal("b2\n", Read(rootfs, "/bs/b2"));
        Assert.Equal("target\n", Read(rootfs, "/bs/blink"));
        Assert.False(rootfs.Snapshot.Entries.ContainsKey("/bs/other"));
    }

    [Fact]
    public async Task Add_of_a_folder_copies_the_archives_inside_it_as_they_are()
    {
        var context = Context("""
            ARG BUSYBOX
            FROM ${BUSYBOX}
            ADD sub/ /added/
            ADD sub/a.tar.gz /unpacked/
            """);
        Directory.CreateDirectory(Path.Combine(context, "sub"));
        WriteTar(Path.Combine(context, "sub", "a.tar.gz"), ("inner.txt", "inner"));

        var rootfs = await BuildAsync(context, "overlay");

        Assert.Equal("file", Entry(rootfs, "/added/a.tar.gz").Type);
        Assert.False(rootfs.Snapshot.Entries.ContainsKey("/added/inner.txt"));
        Assert.Equal("inner", Read(rootfs, "/unpacked/inner.txt"));
    }

    [Fact]
    public async Task A_copied_folder_does_not_give_its_own_mode_to_the_destination()
    {
        var context = Context("""
            ARG BUSYBOX
            FROM ${BUSYBOX}
            RUN mkdir -m 0700 /private
            COPY dir /newdir
            COPY dir /private
            COPY b* /one-match
            """, ("dir/f.txt", "f"), ("b1.txt", "b1"));
        File.SetUnixFileMode(Path.Combine(context, "dir"), (UnixFileMode)Convert.ToInt32("775", 8));

        var rootfs = await BuildAsync(context, "overlay");

        Assert.Equal(0x1ED, Entry(rootfs, "/newdir").Mode);        // new: 0755 as Docker makes it
        Assert.Equal(0x1C0, Entry(rootfs, "/private").Mode);       // existing: kept (0700)
        Assert.Equal("f", Read(rootfs, "/newdir/f.txt"));
        Assert.Equal("b1", Read(rootfs, "/one-match"));             // one wildcard match is one source
    }

    /// <summary>The recipe DSL writes through the same executor: the same merged-/usr and made-link cases from a build.csx.</summary>
    [Fact]
    public async Task A_recipe_copies_through_links_like_a_dockerfile()
    {
        var context = Context("", ("tool.sh", "#!/bin/sh\necho tool ran\n"), ("payload/p.txt", "p"));
        var layout = Path.Combine(_temp.Path, "recipe-layout");
        var script = Path.Combine(context, "build.csx");
        await File.WriteAllTextAsync(script, $$"""
            Image("linked")
                .From("{{await environment.DebianAsync()}}")
                .Context(".")
                .Copy("tool.sh", "/bin/tool", chmod: "0755")
                .Run("/bin/tool > /ran.txt && mkdir -p /real/lib && ln -s /real/lib /linked")
                .Copy("payload/", "/linked/")
                .Workdir("/linked/wd")
                .Run("pwd > /pwd.txt")
                .Output("{{layout}}");
            """);
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var code = await CliApp.RunAsync([script, "--cache-dir", Path.Combine(_temp.Path, "cache-recipe"), "--progress", "plain"], stdout, stderr);

        Assert.True(code == ExitCodes.Ok, $"stdout:\n{stdout}\nstderr:\n{stderr}");
        var rootfs = await UnpackAsync(layout);
        Assert.Equal("usr/bin", Entry(rootfs, "/bin").LinkTarget);
        Assert.Equal(0x1ED, Entry(rootfs, "/usr/bin/tool").Mode);
        Assert.Equal("tool ran\n", Read(rootfs, "/ran.txt"));
        Assert.Equal("/real/lib", Entry(rootfs, "/linked").LinkTarget);
        Assert.Equal("p", Read(rootfs, "/real/lib/p.txt"));
        Assert.Equal("/real/lib/wd\n", Read(rootfs, "/pwd.txt"));
    }

    private string Context(string dockerfile, params (string Path, string Content)[] files) =>
        ExecutorBuild.WriteContext(Path.Combine(_temp.Path, "context"), dockerfile, files);

    private static void WriteTar(string path, params (string Name, string Content)[] files)
    {
        using var file = File.Create(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionLevel.Fastest) : file;
        using var writer = new TarWriter(stream, TarEntryFormat.Pax);
        foreach (var (name, content) in files)
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)), Mode = (UnixFileMode)Convert.ToInt32("644", 8) });
    }

    private sealed record Rootfs(string Folder, RootfsSnapshot Snapshot);

    private static RootfsEntry Entry(Rootfs rootfs, string path) =>
        rootfs.Snapshot.Entries.TryGetValue(path, out var entry) ? entry : throw new Xunit.Sdk.XunitException($"{path} is not in the image; it has {string.Join(", ", rootfs.Snapshot.Entries.Keys.Where(k => !k.StartsWith("/bin/", StringComparison.Ordinal) && !k.StartsWith("/usr/", StringComparison.Ordinal)).Take(60))}");

    private static string Read(Rootfs rootfs, string path)
    {
        Assert.Equal("file", Entry(rootfs, path).Type);
        return File.ReadAllText(Path.Combine(rootfs.Folder, path.TrimStart('/')));
    }

    private async Task<Rootfs> BuildAsync(string context, string sandbox, params (string Name, string Value)[] buildArgs)
    {
        var layout = Path.Combine(_temp.Path, "layout-" + Guid.NewGuid().ToString("N"));
        List<string> arguments = ["--sandbox", sandbox, "--build-arg", $"BUSYBOX={environment.Busybox}"];
        foreach (var (name, value) in buildArgs) arguments.AddRange(["--build-arg", $"{name}={value}"]);
        await ExecutorBuild.ToLayoutAsync(context, layout, Path.Combine(_temp.Path, "cache-" + sandbox), arguments);
        return await UnpackAsync(layout);
    }

    private static async Task<Rootfs> UnpackAsync(string layout) =>
        new(RootfsSnapshot.RootfsFolder(layout), await RootfsSnapshot.UnpackAsync(layout));
}
