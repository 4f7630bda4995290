using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Storage;

namespace Orchestrator.Oci.Layout;

/// <summary>
/// Reads a build's base image out of an OCI layout the way <see cref="Images.ImagePuller"/> reads one from a
/// registry: the tag (the <c>org.opencontainers.image.ref.name</c> of an index.json entry) is resolved,
/// indexes are descended with <see cref="PlatformSelector"/>, and the manifest, config and layers are
/// copied into a blob store, each verified against its digest. Blobs the store already holds are not
/// read again, so a warm machine touches only index.json, the manifest and the config.
/// </summary>
public static class LayoutImageReader
{
    // index.json → image index → manifest is the common depth; a few more levels cover every tool seen,
    // and the limit stops a self-referencing layout.
    private const int MaxIndexDepth = 4;

    /// <summary>Resolves the image and its config without copying layers.</summary>
    public static async Task<LayoutImage> ResolveAsync(string path, string? tag, Platform? platform = null, CancellationToken cancellationToken = default)
    {
        var layout = OciLayout.Open(path);
        var entry = await layout.FindAsync(tag, cancellationToken).ConfigureAwait(false);
        var source = "oci:" + layout.Root + (tag is null ? "" : ":" + tag);
        return await Fault(layout, tag, async () =>
        {
            ManifestDocument? index = null;
            var document = await layout.ReadManifestAsync(entry, cancellationToken).ConfigureAwait(false);
            for (var depth = 0; document.IsIndex; depth++)
            {
                if (depth == MaxIndexDepth)
                    throw new OrchestratorException($"{source}: indexes are nested more than {MaxIndexDepth} deep; write a single-platform image into the layout instead");
                index ??= document;
                var chosen = PlatformSelector.Select(document.AsIndex(), platform ?? Platform.Host, source);
                document = await layout.ReadManifestAsync(chosen, cancellationToken).ConfigureAwait(false);
            }
            var manifest = document.AsManifest();
            ImageConfig config;
            await using (var stream = await layout.OpenReadAsync(manifest.Config, cancellationToken).ConfigureAwait(false))
                config = await ImageConfig.ReadAsync(stream, manifest, source, cancellationToken).ConfigureAwait(false);
            return new LayoutImage(layout.Root, tag, document, config, index);
        }).ConfigureAwait(false);
    }

    /// <summary>Resolves the image and copies its config and layers into <paramref name="store"/> (verified).</summary>
    public static async Task<LayoutImage> CopyAsync(string path, string? tag, IBlobStore store, Platform? platform = null, CancellationToken cancellationToken = default)
    {
        var image = await ResolveAsync(path, tag, platform, cancellationToken).ConfigureAwait(false);
        var layout = OciLayout.Open(image.LayoutPath);
        await Fault(layout, tag, async () =>
        {
            foreach (var blob in image.ImageManifest.Blobs.DistinctBy(b => b.Digest))
            {
                if (await store.ContainsAsync(blob.Digest, cancellationToken).ConfigureAwait(false)) continue;
                await using var content = await layout.OpenReadAsync(blob, cancellationToken).ConfigureAwait(false);
                await store.PutAsync(blob, content, cancellationToken).ConfigureAwait(false);
            }
            using var manifest = new MemoryStream(image.Manifest.Content, writable: false);
            await store.PutAsync(image.Manifest.Descriptor, manifest, cancellationToken).ConfigureAwait(false);
            return image;
        }).ConfigureAwait(false);
        return image;
    }

    /// <summary>A blob that is missing or does not match its digest means the layout is damaged: say how to repair it.</summary>
    private static async Task<T> Fault<T>(OciLayout layout, string? tag, Func<Task<T>> read)
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (OrchestratorException error) when (error.Message.StartsWith($"OCI layout '{layout.Root}'", StringComparison.Ordinal))
        {
            throw new OrchestratorException($"{error.Message}. Repair the layout by writing the image into it again, e.g. `skopeo copy docker://IMAGE oci:{layout.Root}:{tag ?? "TAG"}`", error);
        }
    }
}
