using System.Runtime.Versioning;
using System.Text;
using Orchestrator.Cli;
using Orchestrator.Oci.Storage;
using Orchestrator.Tests.Conformance;
using Orchestrator.Tests.Layers;

namespace Orchestrator.Tests.Caching;

/// <summary>
/// Faults of the local cache with real builds: two builds on one cache folder at once, a build killed with SIGKILL in
/// the middle of a RUN, and layer blobs that went missing or were damaged behind their index entries.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class LocalCacheFaultTests(ConformanceEnvironment environment) : IClassFixture<ConformanceEnvironment>, IDisposable
{
    private const string SixSteps = """
        ARG BUSYBOX
        FROM ${BUSYBOX}
        ENV APP=/app
        COPY manifest.txt /app/
        RUN echo "ran-$((1+2))" && cat /app/manifest.txt > /app/deps.txt && head -c 200000 /dev/zero | tr '\0' d > /app/deps.bin
        COPY src/ /app/src/
        RUN echo "ran-$((2+3))" && ls /app/src > /app/listing.txt
        CMD ["/bin/sh"]
        """;

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private CacheFolderBuilds Builds => new(environment, _temp.Path);

    private string Cache => Path.Combine(_temp.Path, "cache");

    private string Context(string dockerfile, params (string, string)[] files) =>
        ExecutorBuild.WriteContext(Path.Combine(_temp.Path, "context"), dockerfile, files);

    private string SixStepContext() => Context(SixSteps, ("manifest.txt", "deps: 1\n"), ("src/a.txt", "a"), ("src/b.txt", "b"));

    private static void AssertBuilt(CacheFolderBuilds.Build build, string what) =>
        Assert.True(build.Code == ExitCodes.Ok && build.Digest is not null, $"{what} failed ({build.Code}):\n{build.Output}\n{build.Error}");

    [Fact]
    public async Task Two_builds_on_one_cache_folder_at_once_both_succeed_and_leave_only_complete_entries()
    {
        var context = SixStepContext();

        var both = await Task.WhenAll(Builds.ExecutorAsync(context, Cache), Builds.ExecutorAsync(context, Cache));

        AssertBuilt(both[0], "the first build");
        AssertBuilt(both[1], "the second build");
        Assert.Equal(both[0].Digest, both[1].Digest);
        Assert.Equal(6, CacheFolderBuilds.AssertIndexIsComplete(Cache).Count);
        var third = await Builds.ExecutorAsync(context, Cache);
        AssertBuilt(third, "the build after them");
        Assert.Equal([1, 2, 3, 4, 5, 6], CacheFolderBuilds.CachedSteps(third.Output));
        Assert.Equal(both[0].Digest, third.Digest);
    }

    [Fact]
    public async Task A_build_killed_with_SIGKILL_in_a_RUN_leaves_no_entry_a_later_build_takes_for_complete()
    {
        // The RUN writes 4 MB into its layer, then, told so by a secret (not part of the key), stops to be killed.
        var context = Context("""
            ARG BUSYBOX
            FROM ${BUSYBOX}
            COPY input.txt /in/
            RUN --mount=type=secret,id=pace,target=/pace echo "ran-$((1+1))" && head -c 4000000 /dev/urandom > /partial && if [ "$(cat /pace)" = slow ]; then echo "killable-$((2+2))"; sleep 300; fi && echo built > /out.txt && rm /partial
            """, ("input.txt", "input\n"), ("build.csx", "Dockerfile(\"Dockerfile\", name: \"image\");\n"));
        var slow = Path.Combine(_temp.Path, "slow.txt");
        var fast = Path.Combine(_temp.Path, "fast.txt");
        File.WriteAllText(slow, "slow");
        File.WriteAllText(fast, "fast");

        using (var killed = CacheFolderBuilds.StartCli(Builds.ScriptArguments(context, Cache, "--secret", $"id=pace,src={slow}")))
        {
            var output = new StringBuilder();
            var errors = killed.StandardError.ReadToEndAsync();
            string? line;
            while ((line = await killed.StandardOutput.ReadLineAsync()) is not null)
            {
                output.AppendLine(line);
                if (line.Contains("[image] killable-4", StringComparison.Ordinal)) break;
            }
            if (line is null) Assert.Fail($"the build ended before its RUN got to the sleep:\n{output}\n{await errors}");
            CacheFolderBuilds.KillWithDescendants(killed.Id);
            Assert.True(killed.WaitForExit(60_000), "the killed build did not end");
        }

        // Only the COPY before the RUN is recorded, complete; the RUN's work is left as temporaries.
        Assert.Single(CacheFolderBuilds.AssertIndexIsComplete(Cache));
        Assert.NotEmpty(Directory.GetFileSystemEntries(Path.Combine(Cache, "tmp")));

        var again = await CacheFolderBuilds.ScriptAsync(Builds.ScriptArguments(context, Cache, "--secret", $"id=pace,src={fast}"));
        AssertBuilt(again, "the build after the killed one");
        Assert.Equal([1], CacheFolderBuilds.CachedSteps(again.Output));
        Assert.Equal([2], CacheFolderBuilds.RanSteps(again.Output));
        Assert.Equal(2, CacheFolderBuilds.AssertIndexIsComplete(Cache).Count);
        // The collector after that build (no other build held the folder) removed what the killed one left.
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(Cache, "tmp")));
        Assert.Empty(Directory.Exists(Path.Combine(Cache, "layers", "tmp")) ? Directory.GetFileSystemEntries(Path.Combine(Cache, "layers", "tmp")) : []);

        var fresh = await CacheFolderBuilds.ScriptAsync(Builds.ScriptArguments(context, Path.Combine(_temp.Path, "fresh-cache"), "--secret", $"id=pace,src={fast}"));
        AssertBuilt(fresh, "the build on a fresh cache folder");
        Assert.Equal(fresh.Digest, again.Digest);
    }

    [Fact]
    public async Task A_layer_blob_missing_or_corrupt_behind_its_entry_is_a_miss_with_a_warning()
    {
        var context = SixStepContext();
        var cold = await Builds.ExecutorAsync(context, Cache);
        AssertBuilt(cold, "the cold build");
        var layers = CacheFolderBuilds.AssertIndexIsComplete(Cache).Where(e => e.Layer is not null).Select(e => e.Layer!.Value).ToList();
        Assert.Equal(4, layers.Count); // two COPY and two RUN layers
        var blobs = new LocalBlobStore(Cache);
        // One blob is gone; the others keep their size with one byte changed (rewritten in place, as a disk fault would).
        File.Delete(blobs.PathOf(layers[0]));
        foreach (var layer in layers.Skip(1))
        {
            using var file = new FileStream(blobs.PathOf(layer), FileMode.Open, FileAccess.ReadWrite);
            file.Position = file.Length / 2;
            var value = file.ReadByte();
            file.Position = file.Length / 2;
            file.WriteByte((byte)(value ^ 0xFF));
        }

        var damaged = await Builds.ExecutorAsync(context, Cache);

        AssertBuilt(damaged, "the build over damaged blobs");
        Assert.Equal([3, 5], CacheFolderBuilds.RanSteps(damaged.Output));
        Assert.Equal([1, 6], CacheFolderBuilds.CachedSteps(damaged.Output));
        Assert.Contains($"names layer blob {layers[0]}, which is no longer in the blob store", damaged.Output);
        foreach (var layer in layers.Skip(1))
            Assert.Contains($"layer blob {layer} is corrupt", damaged.Output);
        Assert.Equal(cold.Digest, damaged.Digest);
        Assert.Equal(6, CacheFolderBuilds.AssertIndexIsComplete(Cache).Count);
        var warm = await Builds.ExecutorAsync(context, Cache);
        Assert.Equal([1, 2, 3, 4, 5, 6], CacheFolderBuilds.CachedSteps(warm.Output));
        Assert.Equal(cold.Digest, warm.Digest);
    }
}
