using System.Runtime.Versioning;
using System.Text.Json;
using System.Text.RegularExpressions;
using Orchestrator.Cli;
using Orchestrator.Oci;
using Orchestrator.Oci.Storage;
using Orchestrator.Tests.Conformance;
using Orchestrator.Tests.Layers;

namespace Orchestrator.Tests.Caching;

/// <summary>
/// The local build cache end to end: real builds through the executor command on a busybox base from a real
/// registry, each test with a cache folder of its own. Which steps ran is read from what they print (a RUN prints
/// the result of shell arithmetic, which its step line does not contain) and from the CACHED step lines.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class LocalCacheBuildTests(ConformanceEnvironment environment) : IClassFixture<ConformanceEnvironment>, IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_second_build_without_change_runs_no_step_and_gives_the_same_image()
    {
        var (context, cache) = EightStepContext();

        var cold = await BuildAsync(context, cache, "--cache=true");
        var warm = await BuildAsync(context, cache, "--cache=true");

        Assert.Equal([4, 6], RanSteps(cold));
        Assert.Empty(CachedSteps(cold));
        Assert.Empty(RanSteps(warm));
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], CachedSteps(warm));
        Assert.Contains("cached (8 steps)", warm.Output);
        Assert.Equal(cold.Digest, warm.Digest);
    }

    [Fact]
    public async Task A_changed_source_file_runs_the_steps_from_its_copy_on()
    {
        var (context, cache) = EightStepContext();
        var cold = await BuildAsync(context, cache, "--cache=true");

        File.WriteAllText(Path.Combine(context, "src", "a.txt"), "changed");
        var changed = await BuildAsync(context, cache, "--cache=true");

        Assert.Equal([1, 2, 3, 4], CachedSteps(changed));
        Assert.Equal([6], RanSteps(changed));
        Assert.Contains("4 steps cached", changed.Output);
        Assert.NotEqual(cold.Digest, changed.Digest);
        // Back to the first content: every step is a hit again and the image is the first one.
        File.WriteAllText(Path.Combine(context, "src", "a.txt"), "a");
        var back = await BuildAsync(context, cache, "--cache=true");
        Assert.Empty(RanSteps(back));
        Assert.Equal(cold.Digest, back.Digest);
    }

    [Fact]
    public async Task A_change_to_a_dockerignored_file_keeps_every_step()
    {
        var (context, cache) = EightStepContext();
        var cold = await BuildAsync(context, cache, "--cache=true");

        File.WriteAllText(Path.Combine(context, "src", "notes.md"), "edited notes");
        var warm = await BuildAsync(context, cache, "--cache=true");

        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], CachedSteps(warm));
        Assert.Equal(cold.Digest, warm.Digest);
    }

    [Fact]
    public async Task Without_kanikos_cache_flag_every_step_runs_and_still_records()
    {
        var (context, cache) = EightStepContext();

        var first = await BuildAsync(context, cache);
        var second = await BuildAsync(context, cache);
        var cached = await BuildAsync(context, cache, "--cache=true");

        Assert.Equal([4, 6], RanSteps(second));
        Assert.Empty(CachedSteps(second));
        Assert.Equal(first.Digest, second.Digest);
        // What the uncached builds ran was recorded: the build that asks for the cache finds every step.
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], CachedSteps(cached));
        Assert.Equal(first.Digest, cached.Digest);
    }

    [Fact]
    public async Task An_upstream_stage_rebuilt_to_identical_files_keeps_the_downstream_copy_from_hit()
    {
        var context = Context("""
            ARG BUSYBOX
            FROM ${BUSYBOX} AS build
            COPY input.txt /in/
            RUN echo "upstream-$((1+1))" && cut -c1-3 /in/input.txt > /out.txt
            FROM ${BUSYBOX}
            COPY --from=build /out.txt /out.txt
            RUN echo "downstream-$((1+2))" && cat /out.txt
            """, ("input.txt", "abcdef\n"));
        var cache = Path.Combine(_temp.Path, "cache");
        var cold = await BuildAsync(context, cache, "--cache=true");
        Assert.Contains("[image/build] upstream-2", cold.Output);
        Assert.Contains("downstream-3", cold.Output);

        File.WriteAllText(Path.Combine(context, "input.txt"), "abcXYZ\n");
        var warm = await BuildAsync(context, cache, "--cache=true");

        Assert.Contains("[image/build] upstream-2", warm.Output);
        Assert.DoesNotContain("downstream-3", warm.Output);
        Assert.Contains("[image] step 1/2: CACHED COPY --from=build", warm.Output);
        Assert.Contains("[image] step 2/2: CACHED RUN", warm.Output);
        Assert.Contains("[image] cached (2 steps)", warm.Output);
        Assert.Equal(cold.Digest, warm.Digest);
    }

    [Fact]
    public async Task A_damaged_index_entry_is_a_miss_and_the_build_succeeds()
    {
        var (context, cache) = EightStepContext();
        var cold = await BuildAsync(context, cache, "--cache=true");

        var entries = Directory.GetFiles(Path.Combine(cache, "cache-index", "sha256"));
        Assert.Equal(8, entries.Length);
        foreach (var entry in entries) File.WriteAllText(entry, "{\"Version\":1,\"Key\":");
        var damaged = await BuildAsync(context, cache, "--cache=true");

        Assert.Empty(CachedSteps(damaged));
        Assert.Equal([4, 6], RanSteps(damaged));
        Assert.Equal(cold.Digest, damaged.Digest);
        // The run wrote the entries again.
        Assert.Empty(RanSteps(await BuildAsync(context, cache, "--cache=true")));
    }

    [Fact]
    public async Task A_deleted_layer_blob_behind_an_entry_is_a_miss()
    {
        var (context, cache) = EightStepContext();
        var cold = await BuildAsync(context, cache, "--cache=true");

        var blobs = new LocalBlobStore(cache);
        var deleted = 0;
        foreach (var entry in Directory.GetFiles(Path.Combine(cache, "cache-index", "sha256")))
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(entry));
            if (json.RootElement.GetProperty("LayerDigest").GetString() is not { } layer) continue;
            File.Delete(blobs.PathOf(Digest.Parse(layer)));
            deleted++;
        }
        Assert.Equal(4, deleted); // two COPY and two RUN layers
        var rebuilt = await BuildAsync(context, cache, "--cache=true");

        // ARG and ENV hold no layer; LABEL and CMD hit again: the steps that ran again have the same keys (keys come from inputs).
        Assert.Equal([1, 2, 7, 8], CachedSteps(rebuilt));
        Assert.Equal([4, 6], RanSteps(rebuilt));
        Assert.Equal(cold.Digest, rebuilt.Digest);
    }

    [Fact]
    public async Task The_build_commands_no_cache_flag_runs_every_step()
    {
        var (context, cache) = EightStepContext();
        File.WriteAllText(Path.Combine(context, "build.csx"), "Dockerfile(\"Dockerfile\", name: \"image\");\n");

        var cold = await BuildScriptAsync(context, cache);
        var warm = await BuildScriptAsync(context, cache);
        var noCache = await BuildScriptAsync(context, cache, "--no-cache");

        Assert.Equal([4, 6], RanSteps(cold));
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], CachedSteps(warm));
        Assert.Equal([4, 6], RanSteps(noCache));
        Assert.Empty(CachedSteps(noCache));
        Assert.Equal(cold.Digest, warm.Digest);
        Assert.Equal(cold.Digest, noCache.Digest);
    }

    [Fact]
    public async Task Hits_extract_their_layers_only_when_a_later_step_needs_the_filesystem()
    {
        var (context, cache) = EightStepContext();
        await BuildAsync(context, cache, "--cache=true");
        var folders = new List<string>();
        foreach (var entry in Directory.GetFiles(Path.Combine(cache, "cache-index", "sha256")))
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(entry));
            if (json.RootElement.GetProperty("DiffId").GetString() is not { } diffId) continue;
            var folder = Path.Combine(cache, "layers", "sha256", Digest.Parse(diffId).Hex);
            Assert.True(Directory.Exists(folder), "the cold build left no layer folder at " + folder);
            folders.Add(folder);
        }
        Assert.Equal(4, folders.Count);
        foreach (var folder in folders) Directory.Delete(folder, recursive: true);

        var warm = await BuildAsync(context, cache, "--cache=true");
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], CachedSteps(warm));
        Assert.All(folders, folder => Assert.False(Directory.Exists(folder), "a hit extracted its layer with no step needing it: " + folder));

        // The RUN of step 6 misses and needs the filesystem: the layers below it are extracted, and the RUN sees their files.
        File.WriteAllText(Path.Combine(context, "src", "a.txt"), "changed");
        var changed = await BuildAsync(context, cache, "--cache=true");
        Assert.Equal([6], RanSteps(changed));
        // Extracted: the first COPY's and the first RUN's; made again by the run: step 6's (the same listing, the same layer).
        // Only the old layer of step 5 (src/ before the change) stays without a folder.
        Assert.Equal(3, folders.Count(Directory.Exists));
    }

    private (string Context, string Cache) EightStepContext()
    {
        var context = Context(CacheBuildRun.EightSteps, CacheBuildRun.EightStepFiles);
        return (context, Path.Combine(_temp.Path, "cache"));
    }

    private string Context(string dockerfile, params (string Path, string Content)[] files) =>
        ExecutorBuild.WriteContext(Path.Combine(_temp.Path, "context"), dockerfile, files);

    private Task<CacheBuildRun> BuildAsync(string context, string cache, params string[] extra)
    {
        var run = Guid.NewGuid().ToString("N");
        var digestFile = Path.Combine(_temp.Path, "digest-" + run);
        return CacheBuildRun.SucceedAsync(
        [
            "executor", "-f", "Dockerfile", "-c", context, "--no-push", "--oci-layout-path", Path.Combine(_temp.Path, "layout-" + run),
            "--digest-file", digestFile, "--cache-dir", cache, "--reproducible", "--build-arg", $"BUSYBOX={environment.Busybox}", .. extra,
        ], digestFile);
    }

    private async Task<CacheBuildRun> BuildScriptAsync(string context, string cache, params string[] extra)
    {
        var layout = Path.Combine(_temp.Path, "layout-" + Guid.NewGuid().ToString("N"));
        var run = await CacheBuildRun.SucceedAsync(
        [
            Path.Combine(context, "build.csx"), "--no-push", "--output", layout, "--progress", "plain", "--cache-dir", cache, "--reproducible",
            "--build-arg", $"BUSYBOX={environment.Busybox}", .. extra,
        ]);
        var digest = Regex.Match(run.Output, @"^image → .*@(sha256:[0-9a-f]{64})$", RegexOptions.Multiline);
        Assert.True(digest.Success, "no published image in:\n" + run.Output);
        return run with { Digest = digest.Groups[1].Value };
    }

    private static List<int> RanSteps(CacheBuildRun build) => build.RanSteps;

    private static List<int> CachedSteps(CacheBuildRun build) => build.CachedSteps;
}
