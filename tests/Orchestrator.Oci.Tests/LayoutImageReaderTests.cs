using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Layout;
using Orchestrator.Oci.Storage;
using Orchestrator.Testing;

namespace Orchestrator.Oci.Tests;

/// <summary>
/// Reading a build's base out of an OCI layout: tags, the one-image rule, nested indexes, and every way a
/// layout can be wrong, each failing with the layout's path and what to do. skopeo is the oracle for which
/// platform an index resolves to.
/// </summary>
public sealed class LayoutImageReaderTests : IDisposable
{
    private readonly TestWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    private static Platform Other => Platform.Host.Architecture == "s390x" ? new Platform("linux", "ppc64le") : new Platform("linux", "s390x");

    private async Task<(OciLayout Layout, ManifestDocument Image)> LayoutWithAsync(string name, params string[] tags)
    {
        var layout = OciLayout.OpenOrCreate(_workspace[name]);
        var image = await TestImages.CreateAsync(layout, 2, 4_000, seed: 7);
        foreach (var tag in tags) await layout.AddManifestAsync(image, tag);
        return (layout, image);
    }

    private static string[] Listing(string folder) =>
        Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(folder, p)).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task Copies_a_tagged_image_into_the_store_and_leaves_the_layout_untouched()
    {
        var (layout, image) = await LayoutWithAsync("layout", "v1");
        var before = Listing(layout.Root);
        var store = new LocalBlobStore(_workspace["store"]);

        var read = await LayoutImageReader.CopyAsync(layout.Root, "v1", store);

        Assert.Equal(image.Digest, read.Manifest.Digest);
        Assert.Null(read.Index);
        Assert.Equal("7", read.Config.Config!.Labels!["test.seed"]);
        foreach (var blob in image.AsManifest().Blobs.Append(image.Descriptor))
            Assert.True(await store.ContainsAsync(blob.Digest, default), $"{blob.Digest} was not copied");
        Assert.Equal(before, Listing(layout.Root));
    }

    [Fact]
    public async Task Without_a_tag_the_only_image_is_taken()
    {
        var (layout, image) = await LayoutWithAsync("layout", "only");
        Assert.Equal(image.Digest, (await LayoutImageReader.ResolveAsync(layout.Root, null)).Manifest.Digest);
    }

    [Fact]
    public async Task Without_a_tag_several_images_are_refused_listing_their_tags()
    {
        var (layout, _) = await LayoutWithAsync("layout", "v1", "v2");
        var error = await Assert.ThrowsAsync<OrchestratorException>(() => LayoutImageReader.ResolveAsync(layout.Root, null));
        Assert.Contains(layout.Root, error.Message);
        Assert.Contains("v1, v2", error.Message);
        Assert.Contains($"oci:{layout.Root}:v1", error.Message);
    }

    [Fact]
    public async Task An_unknown_tag_is_refused_listing_the_tags_there_are()
    {
        var (layout, _) = await LayoutWithAsync("layout", "v1", "latest");
        var error = await Assert.ThrowsAsync<OrchestratorException>(() => LayoutImageReader.ResolveAsync(layout.Root, "v9"));
        Assert.Contains($"OCI layout '{layout.Root}' has no image named 'v9'", error.Message);
        Assert.Contains("v1, latest", error.Message);
    }

    [Fact]
    public async Task A_missing_folder_or_a_folder_that_is_no_layout_is_refused_with_the_fix()
    {
        var missing = await Assert.ThrowsAsync<OrchestratorException>(() => LayoutImageReader.ResolveAsync(_workspace["nope"], "v1"));
        Assert.Contains($"OCI layout '{_workspace["nope"]}' does not exist", missing.Message);
        Assert.Contains("skopeo copy", missing.Message);

        Directory.CreateDirectory(_workspace["plain"]);
        var plain = await Assert.ThrowsAsync<OrchestratorException>(() => LayoutImageReader.ResolveAsync(_workspace["plain"], "v1"));
        Assert.Contains($"'{_workspace["plain"]}' is not an OCI image layout", plain.Message);
        Assert.False(Directory.Exists(_workspace["nope"]), "reading must not create the folder");
    }

    [Fact]
    public async Task A_missing_layer_blob_names_the_layout_the_blob_and_the_fix_and_stores_nothing()
    {
        var (layout, image) = await LayoutWithAsync("layout", "v1");
        var layer = image.AsManifest().Layers[1];
        File.Delete(layout.BlobPath(layer.Digest));
        var store = new LocalBlobStore(_workspace["store"]);

        var error = await Assert.ThrowsAsync<OrchestratorException>(() => LayoutImageReader.CopyAsync(layout.Root, "v1", store));
        Assert.Contains($"OCI layout '{layout.Root}' has no blob {layer.Digest}", error.Message);
        Assert.Contains("the layout is incomplete. Repair the layout", error.Message);
        Assert.Contains($"skopeo copy docker://IMAGE oci:{layout.Root}:v1", error.Message);
        Assert.False(await store.ContainsAsync(image.Digest, default), "the manifest is stored only once every blob is");
    }

    [Fact]
    public async Task A_corrupt_layer_blob_is_refused_naming_both_digests_and_is_not_stored()
    {
        var (layout, image) = await LayoutWithAsync("layout", "v1");
        var layer = image.AsManifest().Layers[0];
        var path = layout.BlobPath(layer.Digest);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[^10] ^= 0xFF;
        await File.WriteAllBytesAsync(path, bytes);
        var store = new LocalBlobStore(_workspace["store"]);

        var error = await Assert.ThrowsAsync<OrchestratorException>(() => LayoutImageReader.CopyAsync(layout.Root, "v1", store));
        Assert.Contains($"OCI layout '{layout.Root}'", error.Message);
        Assert.Contains(Digest.Sha256(bytes).ToString(), error.Message);
        Assert.Contains(layer.Digest.ToString(), error.Message);
        Assert.Contains("Repair the layout by writing the image into it again", error.Message);
        Assert.False(await store.ContainsAsync(layer.Digest, default));
    }

    [Fact]
    public async Task A_tag_naming_an_index_picks_the_platform_like_skopeo_does()
    {
        var layout = OciLayout.OpenOrCreate(_workspace["layout"]);
        var native = await TestImages.CreateAsync(layout, 1, 2_000, seed: 1);
        var foreign = await TestImages.CreateAsync(layout, 1, 2_000, seed: 2);
        var index = ManifestDocument.From(new ImageIndex(MediaTypes.OciIndex,
        [
            foreign.Descriptor with { Platform = Other },
            native.Descriptor with { Platform = Platform.Host },
        ]));
        await layout.AddManifestAsync(index, "multi");

        var host = await LayoutImageReader.ResolveAsync(layout.Root, "multi");
        Assert.Equal(native.Digest, host.Manifest.Digest);
        Assert.Equal(index.Digest, host.Index?.Digest);
        Assert.Equal(foreign.Digest, (await LayoutImageReader.ResolveAsync(layout.Root, "multi", Other)).Manifest.Digest);

        // skopeo copies the host's platform out of the same index: the same manifest, byte for byte.
        await Skopeo.CopyAsync($"oci:{layout.Root}:multi", $"oci:{_workspace["skopeo"]}:picked");
        var picked = await LayoutImageReader.ResolveAsync(_workspace["skopeo"], "picked");
        Assert.Equal(host.Manifest.Digest, picked.Manifest.Digest);

        var missing = await Assert.ThrowsAsync<OrchestratorException>(() => LayoutImageReader.ResolveAsync(layout.Root, "multi", new Platform("linux", "riscv64")));
        Assert.Contains($"oci:{layout.Root}:multi", missing.Message);
        Assert.Contains("linux/riscv64", missing.Message);
        Assert.Contains(Other.ToString(), missing.Message);
    }

    [Fact]
    public async Task A_layout_index_nested_in_an_index_is_descended()
    {
        var layout = OciLayout.OpenOrCreate(_workspace["layout"]);
        var image = await TestImages.CreateAsync(layout, 1, 2_000, seed: 3);
        var inner = ManifestDocument.From(new ImageIndex(MediaTypes.OciIndex, [image.Descriptor with { Platform = Platform.Host }]));
        await layout.PutAsync(inner.Descriptor, new MemoryStream(inner.Content), default);
        var outer = ManifestDocument.From(new ImageIndex(MediaTypes.OciIndex, [inner.Descriptor with { Platform = Platform.Host }]));
        await layout.AddManifestAsync(outer, "nested");

        var read = await LayoutImageReader.ResolveAsync(layout.Root, "nested");
        Assert.Equal(image.Digest, read.Manifest.Digest);
        Assert.Equal(outer.Digest, read.Index?.Digest);
    }
}
