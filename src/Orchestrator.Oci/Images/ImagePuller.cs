using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Registry;
using Orchestrator.Oci.Storage;

namespace Orchestrator.Oci.Images;

/// <summary>
/// Pulls an image for one platform into a blob store: manifest (after selecting from an index),
/// config and layers, in parallel, each verified against its digest on the way in; blobs the store
/// already has are not fetched again.
/// </summary>
public sealed class ImagePuller(RegistryClientPool registries)
{
    /// <summary>Resolves a reference to its platform manifest without fetching blobs (for cache keys and FROM pinning).</summary>
    public async Task<(ManifestDocument Manifest, ManifestDocument? Index)> ResolveAsync(ImageReference reference, Platform? platform = null, CancellationToken cancellationToken = default)
    {
        var client = registries.For(reference);
        var top = await client.GetManifestAsync(reference.Repository, reference.ManifestReference, cancellationToken).ConfigureAwait(false);
        if (!top.IsIndex) return (top, null);
        var chosen = PlatformSelector.Select(top.AsIndex(), platform ?? Platform.Host, reference.ToString());
        var manifest = await client.GetManifestAsync(reference.Repository, chosen.Digest.ToString(), cancellationToken).ConfigureAwait(false);
        if (manifest.IsIndex)
            throw new OrchestratorException($"{reference}: the entry for {chosen.Platform} is itself an index; nested indexes are not supported");
        return (manifest, top);
    }

    public async Task<PulledImage> PullAsync(ImageReference reference, IBlobStore store, Platform? platform = null, CancellationToken cancellationToken = default)
    {
        var (manifest, index) = await ResolveAsync(reference, platform, cancellationToken).ConfigureAwait(false);
        var client = registries.For(reference);
        var image = manifest.AsManifest();
        await FetchBlobsAsync(client, reference.Repository, image.Blobs, store, registries.Options.MaxParallelTransfers, cancellationToken).ConfigureAwait(false);
        await StoreDocumentAsync(store, manifest, cancellationToken).ConfigureAwait(false);
        if (index is not null) await StoreDocumentAsync(store, index, cancellationToken).ConfigureAwait(false);

        ImageConfig config;
        await using (var stream = await store.OpenReadAsync(image.Config, cancellationToken).ConfigureAwait(false))
            config = await ImageConfig.ReadAsync(stream, image, reference.ToString(), cancellationToken).ConfigureAwait(false);
        return new PulledImage(reference, manifest, config, index);
    }

    internal static Task FetchBlobsAsync(RegistryClient client, string repository, IEnumerable<Descriptor> blobs, IBlobStore store, int parallelism, CancellationToken cancellationToken)
    {
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancellationToken };
        return Parallel.ForEachAsync(blobs.DistinctBy(b => b.Digest), options, async (blob, ct) =>
        {
            if (await store.ContainsAsync(blob.Digest, ct).ConfigureAwait(false)) return;
            await client.DownloadBlobAsync(repository, blob, (stream, c) => store.PutAsync(blob, stream, c), ct).ConfigureAwait(false);
        });
    }

    internal static async Task StoreDocumentAsync(IBlobStore store, ManifestDocument document, CancellationToken cancellationToken)
    {
        using var content = new MemoryStream(document.Content, writable: false);
        await store.PutAsync(document.Descriptor, content, cancellationToken).ConfigureAwait(false);
    }
}
