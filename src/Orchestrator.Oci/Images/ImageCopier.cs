using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Layout;
using Orchestrator.Oci.Registry;

namespace Orchestrator.Oci.Images;

/// <summary>Copies images between registries and OCI layouts, byte for byte (digests are kept).</summary>
public sealed class ImageCopier(RegistryClientPool registries)
{
    /// <summary>
    /// Registry → layout under <paramref name="refName"/>. With a platform, only that platform's
    /// manifest is copied; without, the whole index (every platform) is.
    /// </summary>
    public async Task<Descriptor> CopyToLayoutAsync(ImageReference source, OciLayout layout, string refName, Platform? platform = null, CancellationToken cancellationToken = default)
    {
        var client = registries.For(source);
        var top = await client.GetManifestAsync(source.Repository, source.ManifestReference, cancellationToken).ConfigureAwait(false);
        if (top.IsIndex && platform is not null)
        {
            var chosen = PlatformSelector.Select(top.AsIndex(), platform, source.ToString());
            var manifest = await client.GetManifestAsync(source.Repository, chosen.Digest.ToString(), cancellationToken).ConfigureAwait(false);
            await CopyTreeAsync(client, source.Repository, manifest, layout, cancellationToken).ConfigureAwait(false);
            return await layout.AddManifestAsync(manifest, refName, chosen.Platform, cancellationToken).ConfigureAwait(false);
        }
        await CopyTreeAsync(client, source.Repository, top, layout, cancellationToken).ConfigureAwait(false);
        return await layout.AddManifestAsync(top, refName, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Layout → registry: the manifest named <paramref name="refName"/> to every destination.</summary>
    public async Task<IReadOnlyList<PushResult>> CopyFromLayoutAsync(OciLayout layout, string? refName, IReadOnlyList<ImageReference> destinations, CancellationToken cancellationToken = default)
    {
        var descriptor = await layout.FindAsync(refName, cancellationToken).ConfigureAwait(false);
        var manifest = await layout.ReadManifestAsync(descriptor, cancellationToken).ConfigureAwait(false);
        return await new ImagePusher(registries).PushAsync(manifest, layout, destinations, cancellationToken).ConfigureAwait(false);
    }

    private async Task CopyTreeAsync(RegistryClient client, string repository, ManifestDocument document, OciLayout layout, CancellationToken cancellationToken)
    {
        if (document.IsIndex)
        {
            foreach (var child in document.AsIndex().Manifests.Where(m => MediaTypes.IsManifestOrIndex(m.MediaType)))
            {
                var childDocument = await client.GetManifestAsync(repository, child.Digest.ToString(), cancellationToken).ConfigureAwait(false);
                await CopyTreeAsync(client, repository, childDocument, layout, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            await ImagePuller.FetchBlobsAsync(client, repository, document.AsManifest().Blobs, layout, registries.Options.MaxParallelTransfers, cancellationToken).ConfigureAwait(false);
        }
        await ImagePuller.StoreDocumentAsync(layout, document, cancellationToken).ConfigureAwait(false);
    }
}
