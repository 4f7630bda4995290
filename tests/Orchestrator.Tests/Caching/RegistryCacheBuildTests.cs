using System.Runtime.Versioning;
using Orchestrator.Caching;
using Orchestrator.Cli;
using Orchestrator.Oci;
using Orchestrator.Oci.Registry;
using Orchestrator.Oci.Storage;
using Orchestrator.Testing;
using Orchestrator.Tests.Conformance;
using Orchestrator.Tests.Layers;

namespace Orchestrator.Tests.Caching;

/// <summary>
/// The cache repo end to end: real builds through the executor command (Kaniko's flags) on a busybox base, pushing
/// to a real registry that also holds the cache repo. A "machine" is a cache folder of its own: a fresh one shares
/// nothing with the first but the cache repo.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class RegistryCacheBuildTests(ConformanceEnvironment environment, RegistryFixture registry)
    : IClassFixture<ConformanceEnvironment>, IClassFixture<RegistryFixture>, IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly RegistryClientPool _registries = new(new RegistryClientOptions { Retry = RetryOptions.Fast });
    private readonly string _name = "app-" + Guid.NewGuid().ToString("N")[..8];

    public void Dispose()
    {
        _registries.Dispose();
        _temp.Dispose();
    }

    private string CacheRepo => $"{registry.Address}/cache/{_name}";

    private RegistryClient Registry => _registries.For(registry.Address);

    [Fact]
    public async Task A_fresh_machine_sharing_only_the_cache_repo_hits_every_step_and_fetches_no_layer()
    {
        var context = EightStepContext();
        var cold = await BuildAsync(context, Machine("a"), "1");
        Assert.Equal([4, 6], cold.RanSteps);

        var fresh = Machine("b");
        var warm = await BuildAsync(context, fresh, "2");

        Assert.Empty(warm.RanSteps);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], warm.CachedSteps);
        Assert.Contains("[image] cached (8 steps)", warm.Output);
        Assert.Equal(cold.Digest, warm.Digest);
        // Every layer of the pushed image — the base's and the steps' — went registry to registry: none is on machine b.
        var manifest = (await Registry.GetManifestAsync($"apps/{_name}", "2")).AsManifest();
        Assert.Equal(5, manifest.Layers.Count);
        var blobs = new LocalBlobStore(fresh);
        Assert.All(manifest.Layers, layer => Assert.False(File.Exists(blobs.PathOf(layer.Digest)), $"layer {layer.Digest} was fetched"));
        Assert.False(Directory.Exists(Path.Combine(fresh, "layers", "sha256")) && Directory.EnumerateDirectories(Path.Combine(fresh, "layers", "sha256")).Any(), "a layer was extracted");
    }

    [Fact]
    public async Task A_copy_from_another_stage_on_a_fresh_machine_is_keyed_without_fetching_that_stages_layers()
    {
        var context = ExecutorBuild.WriteContext(Path.Combine(_temp.Path, "context"), """
            ARG BUSYBOX
            FROM ${BUSYBOX} AS build
            COPY input.txt /in/
            RUN echo "ran-$((1+1))" && cut -c1-3 /in/input.txt > /out.txt
            FROM ${BUSYBOX}
            COPY --from=build /out.txt /out.txt
            RUN echo "ran-$((1+2))" && cat /out.txt
            """, ("input.txt", "abcdef\n"));
        var cold = await BuildAsync(context, Machine("a"), "1");
        Assert.Equal([3], cold.RanSteps);

        var fresh = Machine("b");
        var planned = await CacheBuildRun.SucceedAsync([.. ScriptArguments(context, fresh), "--plan"]);
        var warm = await BuildAsync(context, fresh, "2");

        // The plan knows the COPY --from key before anything is built: what the first machine read is in the cache repo.
        Assert.DoesNotContain("pending", planned.Output);
        Assert.Matches(@"✓ image\s", planned.Output);
        Assert.Equal([1, 2], warm.CachedSteps);
        Assert.Contains("[image/build] cached (2 steps)", warm.Output);
        Assert.Equal(cold.Digest, warm.Digest);
        Assert.False(Directory.Exists(Path.Combine(fresh, "layers", "sha256")) && Directory.EnumerateDirectories(Path.Combine(fresh, "layers", "sha256")).Any(), "a layer was extracted");
    }

    [Fact]
    public async Task A_changed_source_file_on_a_fresh_machine_runs_only_the_steps_from_its_copy_on()
    {
        var context = EightStepContext();
        var cold = await BuildAsync(context, Machine("a"), "1");

        File.WriteAllText(Path.Combine(context, "src", "a.txt"), "changed");
        var changed = await BuildAsync(context, Machine("b"), "2");

        Assert.Equal([1, 2, 3, 4], changed.CachedSteps);
        Assert.Equal([6], changed.RanSteps);
        Assert.NotEqual(cold.Digest, changed.Digest);
        // What machine b ran is in the cache repo now: a third machine finds all of it.
        var third = await BuildAsync(context, Machine("c"), "3");
        Assert.Empty(third.RanSteps);
        Assert.Equal(changed.Digest, third.Digest);
    }

    [Fact]
    public async Task Every_step_that_ran_is_pushed_under_the_key_it_was_looked_up_by()
    {
        var context = EightStepContext();
        await BuildAsync(context, Machine("a"), "1");

        var tags = (await Registry.ListTagsAsync($"cache/{_name}")).Where(t => t.StartsWith("sha256-", StringComparison.Ordinal)).ToList();

        // One entry per step (config-only steps too), each tagged by its key and saying so in its annotation.
        Assert.Equal(8, tags.Count);
        foreach (var tag in tags)
        {
            var entry = (await Registry.GetManifestAsync($"cache/{_name}", tag)).AsManifest();
            Assert.Equal(tag, RegistryCacheRepository.TagOf(Digest.Parse(entry.Annotations![RegistryCacheRepository.KeyAnnotation])));
            Assert.Contains("layer-encoding", entry.Annotations[RegistryCacheRepository.InputsAnnotation]);
        }
        // The entries are exactly what a fresh machine looks up: all hit.
        var warm = await BuildAsync(context, Machine("b"), "2");
        Assert.Equal(8, warm.CachedSteps.Count);
    }

    [Fact]
    public async Task Kanikos_default_cache_repo_is_the_destinations_repository_slash_cache()
    {
        var context = EightStepContext();
        var digestFile = Path.Combine(_temp.Path, "digest-default");
        await CacheBuildRun.SucceedAsync(
        [
            "executor", "-f", "Dockerfile", "-c", context, "--destination", $"{registry.Address}/apps/{_name}:1", "--digest-file", digestFile,
            "--cache-dir", Machine("a"), "--reproducible", "--cache=true", "--build-arg", $"BUSYBOX={environment.Busybox}",
        ], digestFile);

        Assert.Equal(8, (await Registry.ListTagsAsync($"apps/{_name}/cache")).Count(t => t.StartsWith("sha256-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task No_push_cache_looks_up_but_pushes_nothing()
    {
        var context = EightStepContext();
        var run = await BuildAsync(context, Machine("a"), "1", "--no-push-cache");

        Assert.Equal([4, 6], run.RanSteps);
        Assert.DoesNotContain("entries pushed", run.Output);
        Assert.Empty(await Registry.ListTagsAsync($"cache/{_name}"));
    }

    [Fact]
    public async Task Entries_older_than_the_cache_ttl_are_misses()
    {
        var context = EightStepContext();
        await BuildAsync(context, Machine("a"), "1");

        var expired = await BuildAsync(context, Machine("b"), "2", "--cache-ttl", "1ms");
        var fresh = await BuildAsync(context, Machine("c"), "3", "--cache-ttl", "24h");

        Assert.Empty(expired.CachedSteps);
        Assert.Equal([4, 6], expired.RanSteps);
        Assert.Empty(fresh.RanSteps);
    }

    [Fact]
    public async Task A_cache_repo_that_cannot_be_reached_is_a_warning_unless_it_is_required()
    {
        var context = EightStepContext();
        var nowhere = $"127.0.0.1:{FreePort.Next()}/cache/{_name}";

        var without = await BuildAsync(context, Machine("a"), "1", "--cache-repo", nowhere, "--push-retry", "0");
        Assert.Equal([4, 6], without.RanSteps);
        Assert.Contains($"warning: image: cache repo {nowhere} cannot be read, building without it", without.Output);

        var digestFile = Path.Combine(_temp.Path, "digest-required");
        var required = await CacheBuildRun.StartAsync(
        [
            "executor", "-f", "Dockerfile", "-c", context, "--destination", $"{registry.Address}/apps/{_name}:2", "--digest-file", digestFile,
            "--cache-dir", Machine("b"), "--cache=true", "--cache-repo", nowhere, "--cache-required", "--push-retry", "0",
            "--build-arg", $"BUSYBOX={environment.Busybox}",
        ], digestFile);
        Assert.Equal(ExitCodes.BuildFailed, required.ExitCode);
        Assert.Contains($"cache repo {nowhere} cannot be read (--cache-required)", required.Error);
        Assert.Null(required.Digest);
    }

    [Fact]
    public async Task An_entry_whose_layer_blob_is_gone_is_a_miss_with_a_warning()
    {
        var context = EightStepContext();
        var cold = await BuildAsync(context, Machine("a"), "1");
        var layers = await CacheLayersAsync();
        Assert.Equal(4, layers.Count); // two COPY and two RUN layers
        using (var http = new HttpClient())
            foreach (var layer in layers)
                (await http.DeleteAsync($"http://{registry.Address}/v2/cache/{_name}/blobs/{layer}")).EnsureSuccessStatusCode();

        var rebuilt = await BuildAsync(context, Machine("b"), "2");

        Assert.Equal([1, 2, 7, 8], rebuilt.CachedSteps);
        Assert.Equal([4, 6], rebuilt.RanSteps);
        Assert.Equal(4, rebuilt.Output.Split('\n').Count(l => l.StartsWith("warning: image: cache repo", StringComparison.Ordinal) && l.Contains("has lost its layer blob")));
        Assert.Equal(cold.Digest, rebuilt.Digest);
    }

    [Fact]
    public async Task A_damaged_cached_layer_is_built_again_with_a_warning()
    {
        var context = EightStepContext();
        var cold = await BuildAsync(context, Machine("a"), "1");
        // Damage the layer of step 4 (RUN) in the registry's storage; step 6 then misses and needs the files below it.
        var image = (await Registry.GetManifestAsync($"apps/{_name}", "1")).AsManifest();
        var runLayer = image.Layers[2].Digest;
        var data = registry.BlobDataPath(runLayer.Hex);
        var bytes = File.ReadAllBytes(data);
        bytes[^8] ^= 0xFF;
        File.WriteAllBytes(data, bytes);
        File.WriteAllText(Path.Combine(context, "src", "a.txt"), "changed");

        var rebuilt = await BuildAsync(context, Machine("b"), "2");

        Assert.Contains($"warning: image: cached layer {runLayer} cannot be read from {registry.Address}/cache/{_name}", rebuilt.Output);
        Assert.Contains(4, rebuilt.RanSteps);
        Assert.Contains(6, rebuilt.RanSteps);
        Assert.NotEqual(cold.Digest, rebuilt.Digest);
    }

    [Fact]
    public async Task Every_key_pushed_is_one_the_plan_predicted()
    {
        var context = EightStepContext();
        var machine = Machine("a");

        var plan = await PlanAsync(context, machine);
        Assert.All(plan, step => Assert.Equal(("run", "not in the cache"), (step.Status, step.Reason)));
        await BuildScriptAsync(context, machine);

        var tags = await Registry.ListTagsAsync($"cache/{_name}");
        var pushed = tags.Where(t => t.StartsWith("sha256-", StringComparison.Ordinal)).Order().ToList();
        Assert.Equal(plan.Select(s => RegistryCacheRepository.TagOf(Digest.Parse(s.Key!))).Order().ToList(), pushed);
        // Besides the steps, the one stage's last keys (for the reasons of a later plan on any machine).
        Assert.Equal([RegistryCacheRepository.HistoryTagOf(StepHistory.RemoteKey(new Orchestrator.Recipes.StageRecipe("image", true, Orchestrator.Recipes.ImageSource.Scratch.Instance, [], Orchestrator.Recipes.SourceLocation.Unknown)
            { Destinations = [$"{registry.Address}/apps/{_name}:script"] }))], tags.Except(pushed));
    }

    [Fact]
    public async Task A_fresh_machine_plans_why_steps_run_from_the_history_in_the_cache_repo()
    {
        var context = EightStepContext();
        await BuildScriptAsync(context, Machine("a"));
        File.WriteAllText(Path.Combine(context, "src", "a.txt"), "changed");

        var plan = await PlanAsync(context, Machine("b"));

        Assert.Equal(["cached", "cached", "cached", "cached", "run", "run", "run", "run"], plan.Select(s => s.Status));
        Assert.Equal("content of a.txt changed", plan[4].Reason);
        Assert.Equal(["step 5 changed", "step 6 changed", "step 7 changed"], plan.Skip(5).Select(s => s.Reason));
    }

    [Fact]
    public async Task The_plan_says_before_anything_runs_what_hits_and_why_the_rest_runs()
    {
        var context = EightStepContext();
        var machine = Machine("a");
        await BuildScriptAsync(context, machine);
        File.WriteAllText(Path.Combine(context, "src", "a.txt"), "changed");

        var plan = await PlanAsync(context, machine);

        Assert.Equal(["cached", "cached", "cached", "cached", "run", "run", "run", "run"], plan.Select(s => s.Status));
        Assert.Equal("content of a.txt changed", plan[4].Reason);
        Assert.Equal(["step 5 changed", "step 6 changed", "step 7 changed"], plan.Skip(5).Select(s => s.Reason));
        // The build does what the plan said: steps 1-4 hit, the rest run, under the keys the plan showed.
        var build = await BuildScriptAsync(context, machine);
        Assert.Equal([1, 2, 3, 4], build.CachedSteps);
        Assert.Equal([6], build.RanSteps);
        var tags = await Registry.ListTagsAsync($"cache/{_name}");
        Assert.All(plan, step => Assert.Contains(RegistryCacheRepository.TagOf(Digest.Parse(step.Key!)), tags));
        // Nothing changed since: the text plan marks the node as not run.
        var text = await CacheBuildRun.SucceedAsync([.. ScriptArguments(context, machine), "--plan"]);
        Assert.Matches(@"✓ image\s+image .*8 steps, all cached: not run", text.Output);
    }

    [Fact]
    public async Task A_fresh_machine_plans_its_hits_from_the_cache_repo()
    {
        var context = EightStepContext();
        await BuildScriptAsync(context, Machine("a"));

        var plan = await PlanAsync(context, Machine("b"));

        Assert.All(plan, step => Assert.Equal("cached", step.Status));
    }

    private async Task<List<(string Status, string? Key, string? Reason)>> PlanAsync(string context, string machine)
    {
        var run = await CacheBuildRun.SucceedAsync([.. ScriptArguments(context, machine), "--plan", "--plan-format", "json"]);
        using var json = System.Text.Json.JsonDocument.Parse(run.Output);
        var node = json.RootElement.GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("name").GetString() == "image");
        return node.GetProperty("steps").EnumerateArray()
            .Select(s => (s.GetProperty("status").GetString()!, s.TryGetProperty("cacheKey", out var k) ? k.GetString() : null, s.TryGetProperty("reason", out var r) ? r.GetString() : null))
            .ToList();
    }

    private Task<CacheBuildRun> BuildScriptAsync(string context, string machine) =>
        CacheBuildRun.SucceedAsync([.. ScriptArguments(context, machine), "--progress", "plain"]);

    private string[] ScriptArguments(string context, string machine)
    {
        var script = Path.Combine(context, "build.csx");
        File.WriteAllText(script, $"Dockerfile(\"Dockerfile\", name: \"image\").Destination(\"{registry.Address}/apps/{_name}:script\");\n");
        return [script, "--cache-dir", machine, "--cache-repo", CacheRepo, "--reproducible", "--build-arg", $"BUSYBOX={environment.Busybox}"];
    }

    [Fact]
    public async Task In_a_monorepo_a_change_to_one_service_runs_only_that_services_node()
    {
        var root = Path.Combine(_temp.Path, "monorepo");
        foreach (var service in new[] { "a", "b", "c" })
        {
            Directory.CreateDirectory(Path.Combine(root, "services", service));
            File.WriteAllText(Path.Combine(root, "services", service, "app.txt"), "service " + service);
        }
        var script = Path.Combine(root, "build.csx");
        File.WriteAllText(script, $$"""
            var shared = Stage("base").From(Arg("BUSYBOX")).Run("echo \"base-$((40+2))\" && mkdir -p /app");
            foreach (var name in new[] { "a", "b", "c" })
                Image("svc-" + name).From(shared).Context("services/" + name)
                    .Copy("app.txt", "/app/")
                    .Run($"echo \"{name}-ran-$((1+1))\" && wc -c /app/app.txt > /app/size")
                    .Destination("{{registry.Address}}/apps/{{_name}}-" + name + ":1");
            """);
        string[] Arguments(string machine) =>
            [script, "--cache-dir", machine, "--cache-repo", CacheRepo, "--reproducible", "--progress", "plain", "--build-arg", $"BUSYBOX={environment.Busybox}"];

        var cold = await CacheBuildRun.SucceedAsync(Arguments(Machine("a")));
        Assert.Equal(["a", "b", "base", "c"], Executed(cold).Order(StringComparer.Ordinal));
        File.WriteAllText(Path.Combine(root, "services", "b", "app.txt"), "service b, changed");

        var changed = await CacheBuildRun.SucceedAsync(Arguments(Machine("b")));

        Assert.Equal(["b"], Executed(changed));
        Assert.Contains("[base] cached (1 steps)", changed.Output);
        Assert.Contains("[svc-a] cached (2 steps)", changed.Output);
        Assert.Contains("[svc-c] cached (2 steps)", changed.Output);
        Assert.Contains("[svc-b] step 1/2: COPY app.txt /app/", changed.Output);
        Assert.Contains("cache: 5 of 7 steps cached, 3 of 4 nodes not run", changed.Output);

        static List<string> Executed(CacheBuildRun run) =>
            System.Text.RegularExpressions.Regex.Matches(run.Output, @"^\[(?:svc-)?(\w+)\] (?:base-42|\w-ran-2)$", System.Text.RegularExpressions.RegexOptions.Multiline)
                .Select(m => m.Groups[1].Value).ToList();
    }

    [Fact]
    public async Task Two_machines_pushing_the_same_keys_at_once_both_succeed()
    {
        var context = EightStepContext();

        var builds = await Task.WhenAll(BuildAsync(context, Machine("a"), "1"), BuildAsync(context, Machine("b"), "2"));

        Assert.All(builds, build => Assert.DoesNotContain("warning:", build.Output));
        Assert.Equal(builds[0].Digest, builds[1].Digest);
        Assert.Equal(8, (await Registry.ListTagsAsync($"cache/{_name}")).Count(t => t.StartsWith("sha256-", StringComparison.Ordinal)));
        var third = await BuildAsync(context, Machine("c"), "3");
        Assert.Empty(third.RanSteps);
    }

    [Fact]
    public async Task A_cache_push_the_registry_refuses_is_a_warning_and_the_image_is_still_pushed()
    {
        var context = EightStepContext();
        await using var proxy = new FaultInjectingProxy(registry.Address);
        // Every manifest PUT to the cache repo fails; the image's own manifest goes through.
        proxy.Fail(r => r.Method == "PUT" && r.PathAndQuery.StartsWith($"/v2/cache/{_name}/manifests/", StringComparison.Ordinal), System.Net.HttpStatusCode.InternalServerError, times: int.MaxValue);

        var run = await BuildAsync(context, Machine("a"), "1", "--cache-repo", $"{proxy.Address}/cache/{_name}", "--push-retry", "0");

        Assert.Equal([4, 6], run.RanSteps);
        Assert.Contains("cache: 0 of 8 new entries pushed", run.Output);
        Assert.Equal(8, run.Output.Split('\n').Count(l => l.StartsWith("warning: image: cache entry sha256-", StringComparison.Ordinal) && l.Contains("not pushed")));
        Assert.Single(run.Output.Split('\n'), l => l.StartsWith("warning: image: cache entry history-", StringComparison.Ordinal) && l.Contains("not pushed"));
        Assert.NotNull(await Registry.TryGetManifestAsync($"apps/{_name}", "1"));
        Assert.Empty(await Registry.ListTagsAsync($"cache/{_name}"));
    }

    [Fact]
    public async Task The_base_is_resolved_once_for_the_front_ends_env_lookup_and_the_build()
    {
        var context = EightStepContext();
        await using var proxy = new FaultInjectingProxy(environment.RegistryAddress);

        var run = await BuildAsync(context, Machine("a"), "1", "--build-arg", $"BUSYBOX={proxy.Address}/conformance/busybox:1");

        Assert.Equal([4, 6], run.RanSteps);
        var manifest = await _registries.For(environment.RegistryAddress).GetManifestAsync("conformance/busybox", "1");
        var config = manifest.AsManifest().Config.Digest.ToString();
        Assert.Single(proxy.Requests, r => r.Method == "GET" && r.PathAndQuery == "/v2/conformance/busybox/manifests/1");
        Assert.Single(proxy.Requests, r => r.Method == "GET" && r.PathAndQuery == $"/v2/conformance/busybox/blobs/{config}");
        Assert.Contains($"base {proxy.Address}/conformance/busybox:1 is {manifest.Digest}", run.Output);
    }

    [Fact]
    public async Task A_build_pings_its_cache_repo_once_for_the_lookups_of_all_its_stages()
    {
        var context = ExecutorBuild.WriteContext(Path.Combine(_temp.Path, "three-stages"), """
            ARG BUSYBOX
            FROM ${BUSYBOX} AS one
            RUN echo one > /one.txt
            FROM ${BUSYBOX} AS two
            RUN echo two > /two.txt
            FROM ${BUSYBOX}
            COPY --from=one /one.txt /
            COPY --from=two /two.txt /
            """);
        await using var proxy = new FaultInjectingProxy(registry.Address);
        var cacheRepo = $"{proxy.Address}/cache/{_name}";

        var cold = await BuildAsync(context, Machine("a"), "1", "--cache-repo", cacheRepo);
        var pingsCold = proxy.Requests.Count(r => r.Method == "GET" && r.PathAndQuery == "/v2/");
        var fresh = await BuildAsync(context, Machine("b"), "2", "--cache-repo", cacheRepo);

        Assert.DoesNotContain(": CACHED ", cold.Output);
        Assert.Contains("cache: 4 of 4 steps cached, 3 of 3 nodes not run", fresh.Output);
        Assert.Equal(1, pingsCold);
        Assert.Equal(2, proxy.Requests.Count(r => r.Method == "GET" && r.PathAndQuery == "/v2/"));
    }

    private async Task<List<Digest>> CacheLayersAsync()
    {
        var layers = new List<Digest>();
        foreach (var tag in await Registry.ListTagsAsync($"cache/{_name}"))
            layers.AddRange((await Registry.GetManifestAsync($"cache/{_name}", tag)).AsManifest().Layers.Select(l => l.Digest));
        return layers;
    }

    private string Machine(string name) => Path.Combine(_temp.Path, "machine-" + name);

    private string EightStepContext() =>
        ExecutorBuild.WriteContext(Path.Combine(_temp.Path, "context"), CacheBuildRun.EightSteps, CacheBuildRun.EightStepFiles);

    /// <summary>Builds with Kaniko's cache flags and pushes to <c>apps/NAME:TAG</c> on the test registry.</summary>
    private Task<CacheBuildRun> BuildAsync(string context, string cacheDirectory, string tag, params string[] extra)
    {
        var digestFile = Path.Combine(_temp.Path, $"digest-{Guid.NewGuid():N}");
        string[] cacheRepo = extra.Contains("--cache-repo") ? [] : ["--cache-repo", CacheRepo];
        return CacheBuildRun.SucceedAsync(
        [
            "executor", "-f", "Dockerfile", "-c", context, "--destination", $"{registry.Address}/apps/{_name}:{tag}", "--digest-file", digestFile,
            "--cache-dir", cacheDirectory, "--reproducible", "--cache=true", .. cacheRepo, "--build-arg", $"BUSYBOX={environment.Busybox}", .. extra,
        ], digestFile);
    }
}
