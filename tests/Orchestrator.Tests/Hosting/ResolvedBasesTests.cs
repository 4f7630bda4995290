using Orchestrator.Hosting;
using Orchestrator.Oci;
using Orchestrator.Oci.Images;
using Orchestrator.Oci.Registry;
using Orchestrator.Oci.Storage;
using Orchestrator.Recipes;
using Orchestrator.Testing;

namespace Orchestrator.Tests.Hosting;

/// <summary>
/// A build resolves each registry base once, for the front end's ENV lookup and the build alike; a settings object a
/// program uses for several builds gets each base resolved again by each build.
/// </summary>
public sealed class ResolvedBasesTests(RegistryFixture registry) : IClassFixture<RegistryFixture>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orchestrator-resolved-bases-").FullName;

    public void Dispose() => TreeDeleter.Delete(_folder);

    [Fact]
    public async Task Settings_used_for_two_builds_see_a_base_tag_that_moved_between_them()
    {
        var store = new LocalBlobStore(Path.Combine(_folder, "store"));
        using var pool = new RegistryClientPool(new RegistryClientOptions { Retry = RetryOptions.Fast });
        var reference = ImageReference.Parse($"{registry.Address}/hosting/base-{Guid.NewGuid():N}:1");
        var first = await TestImages.CreateAsync(store, layerCount: 1, bytesPerLayer: 1_000, seed: 301);
        var second = await TestImages.CreateAsync(store, layerCount: 1, bytesPerLayer: 1_000, seed: 302);
        var context = Directory.CreateDirectory(Path.Combine(_folder, "context")).FullName;
        var dockerfile = Path.Combine(context, "Dockerfile");
        await File.WriteAllTextAsync(dockerfile, $"FROM {reference}\nENV GREETING=hello\n");
        var log = new StringWriter();
        var settings = new BuildSettings
        {
            CacheDirectory = Path.Combine(_folder, "cache"),
            Output = Path.Combine(_folder, "layout"),
            Observer = new PlainBuildObserver(log, verbose: false),
        };
        Task<RecipeBook> Load(BuildSettings s, CancellationToken ct)
        {
            var book = new RecipeBook(context, s.BuildArgs) { BaseImageEnvironment = BuildHost.BaseImageEnvironment(s) };
            book.Dockerfile(dockerfile, context: context, name: "image");
            return Task.FromResult(book);
        }

        await new ImagePusher(pool).PushAsync(first, store, [reference]);
        await BuildHost.BuildAsync(settings, Load);
        await new ImagePusher(pool).PushAsync(second, store, [reference]);
        await BuildHost.BuildAsync(settings, Load);

        var bases = log.ToString().Split('\n').Where(l => l.Contains($"base {reference} is ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, bases.Count);
        Assert.EndsWith(first.Digest.ToString(), bases[0].TrimEnd());
        Assert.EndsWith(second.Digest.ToString(), bases[1].TrimEnd());
    }
}
