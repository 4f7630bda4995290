using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Images;
using Orchestrator.Oci.Registry;
using Orchestrator.Oci.Storage;
using Orchestrator.Testing;

namespace Orchestrator.Oci.Tests;

/// <summary>
/// Pull-through mirrors (Kaniko's <c>--registry-mirror</c>, <c>--registry-map</c>) against two real registries: one
/// stands for the image's own registry, the other for its mirror. Each holds a different image under the same name,
/// so the digest a pull returns tells which one answered.
/// </summary>
public sealed class RegistryMirrorTests(RegistryFixture origin, RegistryWithoutDeletionFixture mirror)
    : IClassFixture<RegistryFixture>, IClassFixture<RegistryWithoutDeletionFixture>, IDisposable
{
    private readonly TestWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    private RegistryClientPool Pool(string mirrored) => new(new RegistryClientOptions
    {
        Retry = RetryOptions.Fast,
        RegistryMirrors = new Dictionary<string, IReadOnlyList<string>> { [mirrored] = [mirror.Address] },
    });

    private async Task<ManifestDocument> PushAsync(string registry, string repositoryAndTag, int seed)
    {
        var store = new LocalBlobStore(_workspace[$"store-{seed}"]);
        var manifest = await TestImages.CreateAsync(store, layerCount: 1, bytesPerLayer: 10_000, seed: seed);
        using var pool = new RegistryClientPool(new RegistryClientOptions { Retry = RetryOptions.Fast });
        await new ImagePusher(pool).PushAsync(manifest, store, [ImageReference.Parse($"{registry}/{repositoryAndTag}")]);
        return manifest;
    }

    [Fact]
    public async Task A_pull_reads_the_mirror_first_and_the_registry_when_the_mirror_lacks_the_image()
    {
        var fromMirror = await PushAsync(mirror.Address, "team/app:1", seed: 11);
        var fromOrigin = await PushAsync(origin.Address, "team/app:1", seed: 12);
        var onlyOrigin = await PushAsync(origin.Address, "team/only-origin:1", seed: 13);
        using var pool = Pool(origin.Address);

        var pulled = await new ImagePuller(pool).PullAsync(ImageReference.Parse($"{origin.Address}/team/app:1"), new LocalBlobStore(_workspace["pulled-1"]));
        Assert.Equal(fromMirror.Digest, pulled.Manifest.Digest);
        Assert.NotEqual(fromOrigin.Digest, pulled.Manifest.Digest);

        var fallback = await new ImagePuller(pool).PullAsync(ImageReference.Parse($"{origin.Address}/team/only-origin:1"), new LocalBlobStore(_workspace["pulled-2"]));
        Assert.Equal(onlyOrigin.Digest, fallback.Manifest.Digest);
    }

    [Fact]
    public async Task A_registry_that_cannot_be_reached_is_not_needed_when_its_mirror_has_the_image()
    {
        var image = await PushAsync(mirror.Address, "library/base:2", seed: 21);
        using var pool = Pool("registry.invalid:5000");

        var pulled = await new ImagePuller(pool).PullAsync(ImageReference.Parse("registry.invalid:5000/library/base:2"), new LocalBlobStore(_workspace["pulled"]));

        Assert.Equal(image.Digest, pulled.Manifest.Digest);
        Assert.Single(pulled.Config.RootFs.DiffIds);
    }

    [Fact]
    public async Task Pushes_go_to_the_registry_itself_never_to_its_mirror()
    {
        var store = new LocalBlobStore(_workspace["store"]);
        var manifest = await TestImages.CreateAsync(store, layerCount: 1, bytesPerLayer: 10_000, seed: 31);
        using var pool = Pool(origin.Address);

        await new ImagePusher(pool).PushAsync(manifest, store, [ImageReference.Parse($"{origin.Address}/pushed/app:1")]);

        using var plain = new RegistryClientPool(new RegistryClientOptions { Retry = RetryOptions.Fast });
        Assert.Equal(manifest.Digest, (await plain.For(origin.Address).GetManifestAsync("pushed/app", "1")).Digest);
        Assert.Null(await plain.For(mirror.Address).TryGetManifestAsync("pushed/app", "1"));
    }
}
