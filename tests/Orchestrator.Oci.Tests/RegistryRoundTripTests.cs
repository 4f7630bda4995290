using System.Text.Json;
using Orchestrator.Oci.Archive;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Images;
using Orchestrator.Oci.Layout;
using Orchestrator.Oci.Registry;
using Orchestrator.Oci.Storage;
using Orchestrator.Testing;

namespace Orchestrator.Oci.Tests;

/// <summary>Push and pull against a real distribution registry, checked with skopeo and umoci.</summary>
public sealed class RegistryRoundTripTests(RegistryFixture registry) : IClassFixture<RegistryFixture>, IDisposable
{
    private readonly TestWorkspace _workspace = new();

    private RegistryClientPool Pool(Action<RegistryClientOptions>? _ = null, long? chunkThreshold = null, long? chunkSize = null) =>
        new(new RegistryClientOptions
        {
            Retry = RetryOptions.Fast,
            ChunkedUploadThreshold = chunkThreshold ?? 256L * 1024 * 1024,
            ChunkSize = chunkSize ?? 64L * 1024 * 1024,
        });

    private ImageReference Ref(string repositoryAndTag) => ImageReference.Parse($"{registry.Address}/{repositoryAndTag}");

    [Fact]
    public async Task Pushes_a_multi_layer_image_that_skopeo_and_umoci_read()
    {
        var store = new LocalBlobStore(_workspace["store"]);
        var manifest = await TestImages.CreateAsync(store, layerCount: 3, bytesPerLayer: 200_000);
        using var pool = Pool();

        var results = await new ImagePusher(pool).PushAsync(manifest, store, [Ref("roundtrip/app:v1")]);
        Assert.Equal(4, results[0].Uploaded); // three layers and the config

        var inspected = await Skopeo.InspectAsync($"docker://{registry.Address}/roundtrip/app:v1");
        Assert.Equal(manifest.Digest.ToString(), inspected.GetProperty("Digest").GetString());
        var image = manifest.AsManifest();
        Assert.Equal(image.Layers.Select(l => l.Digest.ToString()), inspected.GetProperty("Layers").EnumerateArray().Select(l => l.GetString()));

        await Skopeo.CopyAsync($"docker://{registry.Address}/roundtrip/app:v1", $"oci:{_workspace["skopeo-layout"]}:v1");
        (await ExternalTool.RunAsync("umoci", "unpack", "--rootless", "--image", $"{_workspace["skopeo-layout"]}:v1", _workspace["bundle"])).EnsureSuccess();
        for (var layer = 0; layer < 3; layer++)
            Assert.True(Directory.EnumerateFiles(Path.Combine(_workspace["bundle"], "rootfs", $"layer{layer}")).Sum(f => new FileInfo(f).Length) == 200_000);
    }

    [Fact]
    public async Task Pull_returns_the_same_bytes_and_a_second_push_uploads_nothing()
    {
        var store = new LocalBlobStore(_workspace["store"]);
        var manifest = await TestImages.CreateAsync(store, layerCount: 2, bytesPerLayer: 100_000, seed: 7);
        using var pool = Pool();
        await new ImagePusher(pool).PushAsync(manifest, store, [Ref("pull/app:1")]);

        var target = new LocalBlobStore(_workspace["pulled"]);
        var pulled = await new ImagePuller(pool).PullAsync(Ref("pull/app:1"), target);
        Assert.Equal(manifest.Digest, pulled.Manifest.Digest);
        Assert.Null(pulled.Index);
        Assert.Equal(2, pulled.Config.RootFs.DiffIds.Count);
        Assert.Equal("7", pulled.Config.Config!.Labels!["test.seed"]);
        foreach (var blob in manifest.AsManifest().Blobs)
            Assert.Equal(await File.ReadAllBytesAsync(store.PathOf(blob.Digest)), await File.ReadAllBytesAsync(target.PathOf(blob.Digest)));

        var again = await new ImagePusher(pool).PushAsync(manifest, store, [Ref("pull/app:2")]);
        Assert.Equal(0, again[0].Uploaded);
        Assert.All(again[0].Blobs.Values, outcome => Assert.Equal(BlobUploadOutcome.AlreadyPresent, outcome));
    }

    [Fact]
    public async Task Chunked_uploads_produce_an_image_skopeo_accepts()
    {
        var store = new LocalBlobStore(_workspace["store"]);
        var manifest = await TestImages.CreateAsync(store, layerCount: 2, bytesPerLayer: 300_000, seed: 3);
        using var pool = Pool(chunkThreshold: 1, chunkSize: 64 * 1024);
        await new ImagePusher(pool).PushAsync(manifest, store, [Ref("chunked/app:1")]);

        var raw = await Skopeo.InspectAsync($"docker://{registry.Address}/chunked/app:1", raw: true);
        Assert.Equal(manifest.AsManifest().Layers[1].Digest.ToString(), raw.GetProperty("layers")[1].GetProperty("digest").GetString());
        await Skopeo.CopyAsync($"docker://{registry.Address}/chunked/app:1", $"oci:{_workspace["copy"]}:x");
    }

    [Fact]
    public async Task Second_destination_on_the_same_registry_mounts_instead_of_uploading()
    {
        var store = new LocalBlobStore(_workspace["store"]);
        var manifest = await TestImages.CreateAsync(store, layerCount: 2, bytesPerLayer: 50_000, seed: 11);
        using var pool = Pool();
        var results = await new ImagePusher(pool).PushAsync(manifest, store, [Ref("mount/one:1"), Ref("mount/two:1"), Ref("mount/two:latest")]);
        Assert.Equal(3, results[0].Uploaded);
        Assert.All(results[1].Blobs.Values, o => Assert.Equal(BlobUploadOutcome.Mounted, o));
        Assert.All(results[2].Blobs.Values, o => Assert.Equal(BlobUploadOutcome.AlreadyPresent, o));
        Assert.Equal(manifest.Digest.ToString(), (await Skopeo.InspectAsync($"docker://{registry.Address}/mount/two:latest")).GetProperty("Digest").GetString());
    }

    [Fact]
    public async Task Reads_an_image_that_skopeo_pushed()
    {
        // umoci makes the layout (its own writer), skopeo pushes it; we pull it.
        var layout = _workspace["umoci-layout"];
        (await ExternalTool.RunAsync("umoci", "init", "--layout", layout)).EnsureSuccess();
        (await ExternalTool.RunAsync("umoci", "new", "--image", layout + ":base")).EnsureSuccess();
        Directory.CreateDirectory(_workspace["bundle"]);
        (await ExternalTool.RunAsync("umoci", "unpack", "--rootless", "--image", layout + ":base", _workspace["bundle"])).EnsureSuccess();
        await File.WriteAllTextAsync(Path.Combine(_workspace["bundle"], "rootfs", "hello.txt"), "hello from umoci");
        (await ExternalTool.RunAsync("umoci", "repack", "--image", layout + ":app", _workspace["bundle"])).EnsureSuccess();
        (await ExternalTool.RunAsync("umoci", "config", "--image", layout + ":app", "--config.env", "GREETING=hi", "--config.entrypoint", "/bin/hello")).EnsureSuccess();
        await Skopeo.CopyAsync($"oci:{layout}:app", $"docker://{registry.Address}/foreign/app:1");

        using var pool = Pool();
        var pulled = await new ImagePuller(pool).PullAsync(Ref("foreign/app:1"), new LocalBlobStore(_workspace["store"]));
        var skopeoDigest = (await Skopeo.InspectAsync($"docker://{registry.Address}/foreign/app:1")).GetProperty("Digest").GetString();
        Assert.Equal(skopeoDigest, pulled.Manifest.Digest.ToString());
        Assert.Contains("GREETING=hi", pulled.Config.Config!.Env!);
        Assert.Equal(["/bin/hello"], pulled.Config.Config.Entrypoint!);
        Assert.Single(pulled.ImageManifest.Layers);
    }

    [Fact]
    public async Task Docker_schema2_images_keep_their_media_types()
    {
        var store = new LocalBlobStore(_workspace["store"]);
        var manifest = await TestImages.CreateAsync(store, layerCount: 1, bytesPerLayer: 10_000, mediaType: MediaTypes.DockerManifest, seed: 5);
        using var pool = Pool();
        await new ImagePusher(pool).PushAsync(manifest, store, [Ref("schema2/app:1")]);
        var raw = await Skopeo.InspectAsync($"docker://{registry.Address}/schema2/app:1", raw: true);
        Assert.Equal(MediaTypes.DockerManifest, raw.GetProperty("mediaType").GetString());
        Assert.Equal(MediaTypes.DockerLayerGzip, raw.GetProperty("layers")[0].GetProperty("mediaType").GetString());
        var head = await pool.For(registry.Address).HeadManifestAsync("schema2/app", "1");
        Assert.Equal(manifest.Digest, head!.Digest);
        Assert.Equal(MediaTypes.DockerManifest, head.MediaType);
        Assert.Null(await pool.For(registry.Address).HeadManifestAsync("schema2/app", "missing"));
    }

    [Fact]
    public async Task Multi_platform_index_round_trips_and_the_platform_is_selected()
    {
        var store = new LocalBlobStore(_workspace["store"]);
        var amd64 = await TestImages.CreateAsync(store, 1, 10_000, seed: 21);
        var arm64 = await TestImages.CreateAsync(store, 1, 10_000, seed: 22);
        var index = ManifestDocument.From(new ImageIndex(MediaTypes.OciIndex,
        [
            amd64.Descriptor with { Platform = Platform.Parse("linux/amd64") },
            arm64.Descriptor with { Platform = Platform.Parse("linux/arm64") },
        ]));
        using var pool = Pool();
        await new ImagePusher(pool).PushAsync(index, store, [Ref("multi/app:1")]);

        var raw = await Skopeo.InspectAsync($"docker://{registry.Address}/multi/app:1", raw: true);
        Assert.Equal(2, raw.GetProperty("manifests").GetArrayLength());
        var pulled = await new ImagePuller(pool).PullAsync(Ref("multi/app:1"), new LocalBlobStore(_workspace["pulled"]), Platform.Parse("linux/arm64/v8"));
        Assert.Equal(arm64.Digest, pulled.Manifest.Digest);
        Assert.Equal(index.Digest, pulled.ReferenceDigest);
        var missing = await Assert.ThrowsAsync<OrchestratorException>(() => new ImagePuller(pool).PullAsync(Ref("multi/app:1"), new LocalBlobStore(_workspace["pulled"]), Platform.Parse("linux/ppc64le")));
        Assert.Contains("linux/arm64", missing.Message);
    }

    [Fact]
    public async Task Copies_between_oci_layouts_and_the_registry()
    {
        var source = OciLayout.OpenOrCreate(_workspace["ours"]);
        var manifest = await TestImages.CreateAsync(source, 2, 20_000, seed: 31);
        await source.AddManifestAsync(manifest, "v1");
        // skopeo reads the layout we wrote.
        Assert.Equal(manifest.Digest.ToString(), (await Skopeo.InspectAsync($"oci:{_workspace["ours"]}:v1")).GetProperty("Digest").GetString());

        using var pool = Pool();
        var copier = new ImageCopier(pool);
        await copier.CopyFromLayoutAsync(source, "v1", [Ref("copied/app:v1")]);
        var target = OciLayout.OpenOrCreate(_workspace["back"]);
        var descriptor = await copier.CopyToLayoutAsync(Ref("copied/app:v1"), target, "again");
        Assert.Equal(manifest.Digest, descriptor.Digest);
        Assert.Equal(manifest.Digest, (await target.FindAsync("again")).Digest);
        (await ExternalTool.RunAsync("umoci", "unpack", "--rootless", "--image", _workspace["back"] + ":again", _workspace["bundle"])).EnsureSuccess();
        Assert.True(File.Exists(Path.Combine(_workspace["bundle"], "rootfs", "layer1", "file0.bin")));
    }

    [Fact]
    public async Task Lists_tags_across_pages()
    {
        var store = new LocalBlobStore(_workspace["store"]);
        var manifest = await TestImages.CreateAsync(store, 1, 1_000, seed: 41);
        using var pool = Pool();
        var tags = Enumerable.Range(1, 7).Select(i => $"t{i}").ToList();
        await new ImagePusher(pool).PushAsync(manifest, store, tags.Select(t => Ref("tags/app:" + t)).ToList());
        var listed = await pool.For(registry.Address).ListTagsAsync("tags/app", pageSize: 2);
        Assert.Equal(tags.Order(), listed.Order());
        Assert.Empty(await pool.For(registry.Address).ListTagsAsync("tags/none"));
    }

    [Fact]
    public async Task Docker_archive_is_readable_by_skopeo()
    {
        var store = new LocalBlobStore(_workspace["store"]);
        var manifest = await TestImages.CreateAsync(store, 2, 30_000, mediaType: MediaTypes.DockerManifest, seed: 51);
        var archive = _workspace["image.tar"];
        await DockerArchiveWriter.WriteAsync(archive, manifest.AsManifest(), store, [ImageReference.Parse("localhost/archived:v1")]);

        var inspected = await Skopeo.InspectAsync($"docker-archive:{archive}");
        Assert.Equal(2, inspected.GetProperty("Layers").GetArrayLength());
        Assert.Contains("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", inspected.GetProperty("Env").EnumerateArray().Select(e => e.GetString()));
        // Selecting the image by its RepoTag proves manifest.json names it.
        await Skopeo.CopyAsync($"docker-archive:{archive}:localhost/archived:v1", $"oci:{_workspace["from-archive"]}:v1");
        (await ExternalTool.RunAsync("umoci", "unpack", "--rootless", "--image", _workspace["from-archive"] + ":v1", _workspace["bundle"])).EnsureSuccess();
        Assert.True(File.Exists(Path.Combine(_workspace["bundle"], "rootfs", "layer0", "file0.bin")));
    }

    public void Dispose() => _workspace.Dispose();
}
