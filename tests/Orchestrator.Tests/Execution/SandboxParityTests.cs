using System.Diagnostics;
using System.Runtime.Versioning;
using System.Text.Json;
using Orchestrator.Cli;
using Orchestrator.Layers;
using Orchestrator.Testing;
using Orchestrator.Tests.Conformance;
using Orchestrator.Tests.Layers;

namespace Orchestrator.Tests.Execution;

/// <summary>
/// The chroot fallback wired into the stage executor: the same Dockerfiles built with
/// <c>--sandbox overlay</c> and <c>--sandbox chroot</c> (each with its own cache) must give the
/// same layers, byte for byte (<c>--reproducible</c>), and leave no temporary folder behind after
/// success, failure or cancellation. The chroot sandbox needs root; run unprivileged, the
/// fallback must refuse with a message that says so.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class SandboxParityTests(ConformanceEnvironment environment) : IClassFixture<ConformanceEnvironment>, IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    public static IEnumerable<object[]> Cases() =>
        new[] { "deletions-whiteouts", "opaque-directories", "symlinks", "hardlinks", "chmod-chown-setuid", "user-workdir", "user-supplementary-groups", "multistage-copy-from", "run-bind-mounts", "docker-init-go", "docker-init-python", "docker-init-node" }
            .Select(c => new object[] { c });

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Overlay_and_chroot_sandboxes_build_identical_layers(string name)
    {
        var context = Path.Combine(_temp.Path, "context");
        ConformanceFolders.Copy(Path.Combine(ConformanceCase.CasesDirectory, name), context);

        if (!Stat.IsRoot)
        {
            var refused = await BuildAsync(context, "chroot");
            Assert.Equal(ExitCodes.BuildFailed, refused.Code);
            Assert.Contains("requires root", refused.Output);
            return;
        }

        var overlay = await BuildAsync(context, "overlay");
        var chroot = await BuildAsync(context, "chroot");

        Assert.True(overlay.Code == ExitCodes.Ok, overlay.Output);
        Assert.True(chroot.Code == ExitCodes.Ok, chroot.Output);
        var (overlayManifest, overlayDiffIds) = ReadImage(overlay.Layout);
        var (chrootManifest, chrootDiffIds) = ReadImage(chroot.Layout);
        Assert.NotEmpty(overlayDiffIds);
        Assert.True(overlayDiffIds.SequenceEqual(chrootDiffIds), $"{name}: layers differ\n--- overlay\n{DescribeLayers(overlay.Layout)}\n--- chroot\n{DescribeLayers(chroot.Layout)}");
        Assert.Equal(overlayManifest, chrootManifest);
        AssertNoTemporaryFolders(overlay.Cache);
        AssertNoTemporaryFolders(chroot.Cache);
    }

    /// <summary>
    /// apt-get on the Debian base: apt's logs and caches hold times, so no two apt runs give the same
    /// bytes, whatever the sandbox. The root filesystems are compared file by file instead (volatile files
    /// left out, as in the conformance suite), and the images must have as many layers.
    /// </summary>
    [Fact]
    public async Task Apt_on_debian_gives_the_same_root_filesystem_in_both_sandboxes()
    {
        var context = Path.Combine(_temp.Path, "context");
        ConformanceFolders.Copy(Path.Combine(ConformanceCase.CasesDirectory, "apt-install"), context);
        var debian = await environment.DebianAsync();
        if (!Stat.IsRoot)
        {
            var refused = await BuildAsync(context, "chroot", extraFlag: "--build-arg", extraValue: $"DEBIAN={debian}");
            Assert.Contains("requires root", refused.Output);
            return;
        }

        var overlay = await BuildAsync(context, "overlay", extraFlag: "--build-arg", extraValue: $"DEBIAN={debian}");
        var chroot = await BuildAsync(context, "chroot", extraFlag: "--build-arg", extraValue: $"DEBIAN={debian}");

        Assert.True(overlay.Code == ExitCodes.Ok, overlay.Output);
        Assert.True(chroot.Code == ExitCodes.Ok, chroot.Output);
        Assert.Equal(ReadImage(overlay.Layout).DiffIds.Count, ReadImage(chroot.Layout).DiffIds.Count);
        var volatileFiles = new[] { "/var/cache/apt/pkgcache.bin", "/var/cache/apt/srcpkgcache.bin", "/var/log/**", "/var/cache/ldconfig/aux-cache" };
        var differences = new RootfsComparer(volatileFiles).Compare(await UnpackAsync(overlay.Layout), await UnpackAsync(chroot.Layout), "overlay", "chroot");
        Assert.True(differences.Count == 0, RootfsComparer.Report(differences));
        AssertNoTemporaryFolders(chroot.Cache);
    }

    private static async Task<RootfsSnapshot> UnpackAsync(string layout)
    {
        var bundle = layout + "-bundle";
        (await ExternalTool.RunAsync("umoci", ["unpack", "--rootless", "--image", $"{layout}:latest", bundle], TimeSpan.FromMinutes(5))).EnsureSuccess();
        return RootfsSnapshot.Read(Path.Combine(bundle, "rootfs"));
    }

    [Theory]
    [InlineData("overlay")]
    [InlineData("chroot")]
    public async Task A_RUN_layer_folder_is_the_adopted_upper_folder_not_an_extraction_and_a_warm_build_agrees(string sandbox)
    {
        if (!Stat.IsRoot && sandbox == "chroot") return; // the refusal is asserted by the parity test
        var context = WriteDockerfile("""
            ARG BUSYBOX
            FROM ${BUSYBOX}
            RUN mkdir /made && echo content > /made/file && stat -c inode=%i /made/file && rm /etc/group
            COPY note.txt /made/
            RUN cat /made/note.txt /made/file > /made/both
            """);
        var cache = Path.Combine(_temp.Path, "cache");

        var first = await BuildAsync(context, sandbox, cache);

        Assert.True(first.Code == ExitCodes.Ok, first.Output);
        var (manifest, diffIds) = ReadImage(first.Layout);
        var runLayer = Path.Combine(cache, "layers", "sha256", diffIds[1].Split(':')[1]);
        var file = Path.Combine(runLayer, "made", "file");
        Assert.True(Stat.IsWhiteout(Path.Combine(runLayer, "etc", "group")));
        Assert.DoesNotContain(Libc.ListXattrs(Path.Combine(runLayer, "made")), n => n.Contains("overlay", StringComparison.Ordinal));
        // --reproducible pins every time in the blob to the epoch: an extraction of it could not have a later mtime.
        Assert.True(Stat.Of(file).ModificationTime.Seconds > 0, "the store folder was extracted from the blob, not adopted");
        if (sandbox == "overlay")
        {
            // Written by the RUN step itself: the inode of the file in the upper folder, which the store now holds.
            Assert.Contains("inode=" + Stat.Of(file).Inode.ToString(System.Globalization.CultureInfo.InvariantCulture), first.Output);
        }
        Assert.Equal("note\ncontent\n", File.ReadAllText(Path.Combine(cache, "layers", "sha256", diffIds[3].Split(':')[1], "made", "both")));

        var second = await BuildAsync(context, sandbox, cache);

        Assert.True(second.Code == ExitCodes.Ok, second.Output);
        var (secondManifest, secondDiffIds) = ReadImage(second.Layout);
        Assert.Equal(diffIds, secondDiffIds);
        Assert.Equal(manifest, secondManifest);
        AssertNoTemporaryFolders(cache);
    }

    [Fact]
    public async Task Ignored_paths_are_neither_in_the_layer_nor_in_the_adopted_folder()
    {
        var context = WriteDockerfile("""
            ARG BUSYBOX
            FROM ${BUSYBOX}
            RUN mkdir -p /var/cache/app /var/keep && echo x > /var/cache/app/x && echo k > /var/keep/k
            """);
        var cache = Path.Combine(_temp.Path, "cache");

        var build = await BuildAsync(context, Stat.IsRoot ? "chroot" : "overlay", cache, "--ignore-path", "/var/cache");

        Assert.True(build.Code == ExitCodes.Ok, build.Output);
        var runLayer = Path.Combine(cache, "layers", "sha256", ReadImage(build.Layout).DiffIds[1].Split(':')[1]);
        Assert.True(File.Exists(Path.Combine(runLayer, "var", "keep", "k")));
        Assert.False(Directory.Exists(Path.Combine(runLayer, "var", "cache")));
    }

    [Theory]
    [InlineData("overlay")]
    [InlineData("chroot")]
    public async Task A_failing_RUN_leaves_no_temporary_folder(string sandbox)
    {
        var context = WriteDockerfile("""
            ARG BUSYBOX
            FROM ${BUSYBOX}
            RUN echo one > /one
            COPY note.txt /
            RUN echo about to fail && exit 3
            """);

        var build = await BuildAsync(context, sandbox);

        Assert.Equal(ExitCodes.BuildFailed, build.Code);
        Assert.Contains(Stat.IsRoot || sandbox == "overlay" ? "exited with code 3" : "requires root", build.Output);
        AssertNoTemporaryFolders(build.Cache);
    }

    [Theory]
    [InlineData("overlay")]
    [InlineData("chroot")]
    public async Task Cancelling_a_RUN_kills_it_and_leaves_no_temporary_folder(string sandbox)
    {
        if (!Stat.IsRoot && sandbox == "chroot") return; // the refusal is asserted by the parity test
        var marker = $"{Random.Shared.Next(100_000, 999_999)}";
        var context = WriteDockerfile($"""
            ARG BUSYBOX
            FROM ${"{"}BUSYBOX{"}"}
            RUN echo one > /one
            RUN echo ready-{marker} && sleep {marker}
            """);
        using var cancel = new CancellationTokenSource();
        var output = new LineWatcher("ready-" + marker, cancel);

        var build = await BuildAsync(context, sandbox, stdout: output, cancellationToken: cancel.Token);

        Assert.True(output.Seen, build.Output);
        Assert.Equal(ExitCodes.Cancelled, build.Code);
        Assert.DoesNotContain(Process.GetProcesses(), p => CommandLine(p).Contains("sleep\0" + marker, StringComparison.Ordinal));
        AssertNoTemporaryFolders(build.Cache);
    }

    private string WriteDockerfile(string dockerfile)
    {
        var context = Path.Combine(_temp.Path, "context");
        Directory.CreateDirectory(context);
        File.WriteAllText(Path.Combine(context, "Dockerfile"), dockerfile);
        File.WriteAllText(Path.Combine(context, "note.txt"), "note\n");
        return context;
    }

    private sealed record Build(int Code, string Output, string Layout, string Cache);

    private async Task<Build> BuildAsync(string context, string sandbox, string? cache = null, string? extraFlag = null, string? extraValue = null, TextWriter? stdout = null, CancellationToken cancellationToken = default)
    {
        var run = Guid.NewGuid().ToString("N");
        cache ??= Path.Combine(_temp.Path, "cache-" + run);
        var layout = Path.Combine(_temp.Path, "layout-" + run);
        stdout ??= new StringWriter();
        var stderr = new StringWriter();
        List<string> arguments =
        [
            "executor", "-f", "Dockerfile", "-c", context, "--no-push", "--oci-layout-path", layout, "--cache-dir", cache,
            "--reproducible", "--sandbox", sandbox, "--build-arg", $"BUSYBOX={environment.Busybox}",
        ];
        if (extraFlag is not null) arguments.AddRange([extraFlag, extraValue!]);
        var code = await CliApp.RunAsync([.. arguments], stdout, stderr, cancellationToken);
        return new Build(code, $"stdout:\n{stdout}\nstderr:\n{stderr}", layout, cache);
    }

    /// <summary>The manifest digest and the config's diffIDs of the image in an OCI layout.</summary>
    private static (string Manifest, List<string> DiffIds) ReadImage(string layout)
    {
        using var index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(layout, "index.json")));
        var manifestDigest = index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!;
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(Blob(layout, manifestDigest)));
        using var config = JsonDocument.Parse(File.ReadAllBytes(Blob(layout, manifest.RootElement.GetProperty("config").GetProperty("digest").GetString()!)));
        var diffIds = config.RootElement.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(d => d.GetString()!).ToList();
        return (manifestDigest, diffIds);
    }

    /// <summary>Every layer's entries (name, type, mode, owner, size, link), to show where two builds part.</summary>
    private static string DescribeLayers(string layout)
    {
        using var index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(layout, "index.json")));
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(Blob(layout, index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!)));
        var text = new System.Text.StringBuilder();
        foreach (var layer in manifest.RootElement.GetProperty("layers").EnumerateArray())
        {
            text.AppendLine("layer " + layer.GetProperty("digest").GetString());
            using var file = File.OpenRead(Blob(layout, layer.GetProperty("digest").GetString()!));
            using var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress);
            using var reader = new System.Formats.Tar.TarReader(gzip);
            while (reader.GetNextEntry() is { } entry)
                text.AppendLine($"  {entry.Name} {entry.EntryType} {Convert.ToString((int)entry.Mode, 8)} {entry.Uid}:{entry.Gid} {entry.Length} {entry.LinkName}");
        }
        return text.ToString();
    }

    private static string Blob(string layout, string digest) => Path.Combine(layout, "blobs", "sha256", digest.Split(':')[1]);

    /// <summary>The builder's scratch places: per-stage work folders and unfinished extractions.</summary>
    private static void AssertNoTemporaryFolders(string cache)
    {
        foreach (var scratch in new[] { Path.Combine(cache, "tmp"), Path.Combine(cache, "layers", "tmp") })
            if (Directory.Exists(scratch))
                Assert.Empty(Directory.EnumerateFileSystemEntries(scratch));
    }

    private static string CommandLine(Process process)
    {
        try
        {
            return File.ReadAllText($"/proc/{process.Id}/cmdline");
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    /// <summary>Build output that cancels the build once a line containing <paramref name="trigger"/> is printed.</summary>
    private sealed class LineWatcher(string trigger, CancellationTokenSource cancel) : StringWriter
    {
        public bool Seen { get; private set; }

        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value is not null && value.Contains(trigger, StringComparison.Ordinal) && !value.Contains("RUN", StringComparison.Ordinal))
            {
                Seen = true;
                cancel.Cancel();
            }
        }
    }
}
