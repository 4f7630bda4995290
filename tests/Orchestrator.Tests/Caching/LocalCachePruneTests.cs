using System.Runtime.Versioning;
using System.Text.Json;
using Orchestrator.Caching;
using Orchestrator.Cli;
using Orchestrator.Execution;
using Orchestrator.Hosting;
using Orchestrator.Tests.Conformance;
using Orchestrator.Tests.Layers;

namespace Orchestrator.Tests.Caching;

/// <summary>
/// <c>cache du</c>, <c>cache prune</c> and the collector after each build, on cache folders filled by real builds.
/// Two images share a context and differ in one RUN, whose layer folder holds 3 MB of one letter (<c>/big-x</c> or
/// <c>/big-y</c>), so which one a prune removed is plain to see.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class LocalCachePruneTests(ConformanceEnvironment environment) : IClassFixture<ConformanceEnvironment>, IDisposable
{
    private const string Dockerfile = """
        ARG BUSYBOX
        FROM ${BUSYBOX}
        ARG WHICH=x
        COPY input.txt /in/
        RUN echo "ran-$((1+2)) $WHICH" && head -c 3000000 /dev/zero | tr '\0' "$WHICH" > /big-$WHICH
        """;

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private CacheFolderBuilds Builds => new(environment, _temp.Path);

    private string Cache => Path.Combine(_temp.Path, "cache");

    private string Context() => ExecutorBuild.WriteContext(Path.Combine(_temp.Path, "context"), Dockerfile, ("input.txt", "input\n"));

    private async Task<CacheFolderBuilds.Build> BuildAsync(string context, string which)
    {
        var build = await Builds.ExecutorAsync(context, Cache, "--build-arg", "WHICH=" + which);
        Assert.True(build.Code == ExitCodes.Ok, $"build {which} failed ({build.Code}):\n{build.Output}\n{build.Error}");
        return build;
    }

    /// <summary>The layer folder of the RUN that wrote <c>/big-{which}</c>, or null once it is gone.</summary>
    private string? RunLayerFolder(string which) =>
        Directory.GetDirectories(Path.Combine(Cache, "layers", "sha256")).SingleOrDefault(folder => File.Exists(Path.Combine(folder, "big-" + which)));

    private static async Task<(int Code, string Output, string Error)> CliAsync(params string[] arguments)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync(arguments, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Du_reports_each_kind_with_the_bytes_on_disk()
    {
        await BuildAsync(Context(), "x");

        var (code, output, error) = await CliAsync("cache", "du", "--cache-dir", Cache, "--format", "json");

        Assert.True(code == ExitCodes.Ok, error);
        using var json = JsonDocument.Parse(output);
        var kinds = json.RootElement.GetProperty("kinds").EnumerateArray().ToDictionary(k => k.GetProperty("kind").GetString()!, k => (Count: k.GetProperty("count").GetInt32(), Bytes: k.GetProperty("bytes").GetInt64()));
        var blobs = Directory.GetFiles(Path.Combine(Cache, "blobs", "sha256")).Select(f => new FileInfo(f).Length).ToList();
        Assert.Equal((blobs.Count, blobs.Sum()), kinds["blobs"]);
        Assert.Equal(Directory.GetFiles(LocalCacheIndex.FolderOf(Cache)).Length, kinds["index entries"].Count);
        Assert.Equal(3, kinds["index entries"].Count); // ARG, COPY, RUN
        var folders = Directory.GetDirectories(Path.Combine(Cache, "layers", "sha256"));
        Assert.Equal(folders.Length, kinds["layer folders"].Count);
        Assert.True(kinds["layer folders"].Bytes >= 3_000_000, "the RUN's 3 MB file is not counted: " + kinds["layer folders"].Bytes);
        Assert.Equal(kinds.Values.Sum(k => k.Bytes), json.RootElement.GetProperty("totalBytes").GetInt64());

        var text = await CliAsync("cache", "du", "--cache-dir", Cache);
        Assert.Contains("layer folders", text.Output);
        Assert.Contains("kept after each build: at most", text.Output);
    }

    [Fact]
    public async Task Keep_storage_removes_the_least_recently_used_first_and_later_builds_are_the_same()
    {
        var context = Context();
        var x = await BuildAsync(context, "x");
        var y = await BuildAsync(context, "y");
        var xAgain = await BuildAsync(context, "x");
        Assert.Equal([1, 2, 3], CacheFolderBuilds.CachedSteps(xAgain.Output));
        var before = LocalCacheInventory.Read(Cache);
        var yFolder = before.Items.Single(i => i.Path == RunLayerFolder("y"));
        // Room for everything but half of y's RUN folder: what y alone used goes, x's (used last) stays.
        var keep = before.TotalSize - yFolder.Size / 2;

        var (code, output, error) = await CliAsync("cache", "prune", "--cache-dir", Cache, "--keep-storage", keep.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(code == ExitCodes.Ok, output + error);
        Assert.Contains("cache: removed", output);
        Assert.Null(RunLayerFolder("y"));
        Assert.NotNull(RunLayerFolder("x"));
        Assert.True(LocalCacheInventory.Read(Cache).TotalSize <= keep);
        // Whatever went, what is left is consistent: each entry's blob is whole, x's entries are all there.
        var entries = CacheFolderBuilds.AssertIndexIsComplete(Cache);
        Assert.InRange(entries.Count, 3, 4);

        var xLater = await BuildAsync(context, "x");
        var yLater = await BuildAsync(context, "y");
        Assert.Equal([1, 2, 3], CacheFolderBuilds.CachedSteps(xLater.Output));
        Assert.Equal(x.Digest, xLater.Digest);
        Assert.Equal(y.Digest, yLater.Digest);
    }

    [Fact]
    public async Task Older_than_removes_what_was_not_used_since_and_its_index_entries()
    {
        var context = Context();
        var x = await BuildAsync(context, "x");
        var y = await BuildAsync(context, "y");
        // Both builds were four days ago: every record of use, blob and entry is set back.
        var fourDaysAgo = DateTime.UtcNow.AddHours(-100);
        foreach (var folder in new[] { "usage", "blobs", "cache-index", "hash-memo" }.Select(f => Path.Combine(Cache, f)).Where(Directory.Exists))
            foreach (var file in Directory.GetFiles(folder, "*", SearchOption.AllDirectories))
                File.SetLastWriteTimeUtc(file, fourDaysAgo);
        var xAgain = await BuildAsync(context, "x");
        Assert.Equal([1, 2, 3], CacheFolderBuilds.CachedSteps(xAgain.Output));

        var (code, output, error) = await CliAsync("cache", "prune", "--cache-dir", Cache, "--older-than", "72h");

        Assert.True(code == ExitCodes.Ok, output + error);
        Assert.Null(RunLayerFolder("y"));
        Assert.NotNull(RunLayerFolder("x"));
        Assert.Equal(3, CacheFolderBuilds.AssertIndexIsComplete(Cache).Count);
        var xLater = await BuildAsync(context, "x");
        var yLater = await BuildAsync(context, "y");
        Assert.Equal([1, 2, 3], CacheFolderBuilds.CachedSteps(xLater.Output));
        Assert.Equal(x.Digest, xLater.Digest);
        Assert.Equal([3], CacheFolderBuilds.RanSteps(yLater.Output));
        Assert.Equal(y.Digest, yLater.Digest);
    }

    [Fact]
    public async Task Prune_waits_for_a_running_build_and_the_collector_skips_while_one_runs()
    {
        var context = Context();
        await BuildAsync(context, "x");
        var folder = RunLayerFolder("x")!;

        var stderr = new StringWriter();
        var synchronizedErrors = TextWriter.Synchronized(stderr);
        Task<int> prune;
        using (new LocalStageExecutor(new LocalBuildOptions { CacheDirectory = Cache }))
        {
            Assert.Null(CacheGarbageCollector.CollectAfterBuild(Cache, limitBytes: 0));
            Assert.True(Directory.Exists(folder));

            prune = CliApp.RunAsync(["cache", "prune", "--cache-dir", Cache, "--all"], new StringWriter(), synchronizedErrors);
            for (var i = 0; i < 600 && !prune.IsCompleted; i++)
            {
                lock (synchronizedErrors)
                    if (stderr.ToString().Contains("waiting for the builds using", StringComparison.Ordinal)) break;
                await Task.Delay(50);
            }
            Assert.False(prune.IsCompleted, "prune did not wait for the build: " + stderr);
            Assert.True(Directory.Exists(folder), "prune removed a layer folder while a build held the cache");
        }

        Assert.Equal(ExitCodes.Ok, await prune);
        Assert.False(Directory.Exists(folder));
        Assert.Empty(CacheFolderBuilds.AssertIndexIsComplete(Cache));
    }

    [Fact]
    public async Task The_collector_takes_stock_at_most_once_per_interval()
    {
        // The build's own collector took stock as it ended.
        await BuildAsync(Context(), "x");
        var clock = new SettableClock(DateTimeOffset.UtcNow);

        var soon = CacheGarbageCollector.CollectAfterBuild(Cache, limitBytes: 0, clock);
        Assert.Null(soon);
        Assert.NotNull(RunLayerFolder("x"));

        clock.Advance(CacheGarbageCollector.CollectionInterval + TimeSpan.FromSeconds(1));
        var later = CacheGarbageCollector.CollectAfterBuild(Cache, limitBytes: 0, clock);
        Assert.NotNull(later);
        Assert.Null(RunLayerFolder("x"));
    }

    [Fact]
    public async Task The_collector_after_a_build_applies_the_configured_limit()
    {
        var context = Context();
        var (arguments, digestFile) = Builds.ExecutorArguments(context, Cache, "--build-arg", "WHICH=x");
        using var child = CacheFolderBuilds.StartCli(arguments, new Dictionary<string, string> { [CacheMaintenance.Variable] = "1MB" });
        var output = child.StandardOutput.ReadToEndAsync();
        var error = child.StandardError.ReadToEndAsync();
        await child.WaitForExitAsync();

        Assert.True(child.ExitCode == ExitCodes.Ok, await output + await error);
        Assert.Contains("cache: removed", await error);
        Assert.True(File.Exists(digestFile));
        var after = LocalCacheInventory.Read(Cache);
        Assert.True(after.TotalSize <= 1_000_000, $"the cache holds {after.TotalSize} bytes after the build");
        Assert.Null(RunLayerFolder("x"));
        CacheFolderBuilds.AssertIndexIsComplete(Cache);
    }
}
