using System.Collections.Concurrent;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Registry;
using Orchestrator.Oci.Storage;

namespace Orchestrator.Oci.Images;

/// <summary>
/// Pushes an image (manifest or index, blobs from any <see cref="IBlobSource"/>) to one or more
/// destinations. Per destination: the config and the layers in parallel (bounded), then the manifest,
/// so no manifest ever points at a missing blob. A later destination on the same registry mounts
/// blobs from an earlier one, and a blob whose source knows a repository of the destination's registry that
/// holds it (<see cref="IRegistryBlobOrigins"/>) is mounted from there, instead of being sent again.
/// </summary>
public sealed class ImagePusher(RegistryClientPool registries)
{
    public async Task<IReadOnlyList<PushResult>> PushAsync(ManifestDocument manifest, IBlobSource blobs, IReadOnlyList<ImageReference> destinations, CancellationToken cancellationToken = default)
    {
        foreach (var destination in destinations.Where(d => d.Digest is not null && d.Tag is null && d.Digest != manifest.Digest.ToString()))
            throw new OrchestratorException($"destination {destination} pins digest {destination.Digest}, but the image's manifest is {manifest.Digest}; push to a tag instead");
        var results = new List<PushResult>();
        var pushedRepositories = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var destination in destinations)
        {
            var mountFrom = pushedRepositories.GetValueOrDefault(destination.Registry);
            var outcomes = new ConcurrentDictionary<Digest, BlobUploadOutcome>();
            var client = registries.For(destination);
            await PushTreeAsync(client, destination.Repository, manifest, blobs, mountFrom, outcomes, cancellationToken).ConfigureAwait(false);
            // Tag (or pin) the top document last.
            var reference = destination.Tag ?? manifest.Digest.ToString();
            await client.PutManifestAsync(destination.Repository, reference, manifest, cancellationToken).ConfigureAwait(false);
            results.Add(new PushResult(destination, manifest.Digest, outcomes));
            pushedRepositories.TryAdd(destination.Registry, destination.Repository);
        }
        return results;
    }

    private async Task PushTreeAsync(RegistryClient client, string repository, ManifestDocument manifest, IBlobSource blobs, string? mountFrom, ConcurrentDictionary<Digest, BlobUploadOutcome> outcomes, CancellationToken cancellationToken)
    {
        if (manifest.IsIndex)
        {
            foreach (var child in manifest.AsIndex().Manifests)
            {
                var childDocument = await ReadManifestAsync(blobs, child, cancellationToken).ConfigureAwait(false);
                await PushTreeAsync(client, repository, childDocument, blobs, mountFrom, outcomes, cancellationToken).ConfigureAwait(false);
                await client.PutManifestAsync(repository, childDocument.Digest.ToString(), childDocument, cancellationToken).ConfigureAwait(false);
            }
            return;
        }

        var image = manifest.AsManifest();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, registries.Options.MaxParallelTransfers), CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(image.Blobs.DistinctBy(b => b.Digest), parallel, async (blob, ct) =>
            outcomes[blob.Digest] = await UploadAsync(client, repository, blob, blobs, mountFrom, ct).ConfigureAwait(false)).ConfigureAwait(false);
    }

    private static Task<BlobUploadOutcome> UploadAsync(RegistryClient client, string repository, Descriptor blob, IBlobSource blobs, string? mountFrom, CancellationToken cancellationToken)
    {
        // A repository of the same registry holds the blob: mount it from there instead of sending its bytes.
        var origin = blobs switch
        {
            RegistryBlobSource source => source,
            IRegistryBlobOrigins origins => origins.OriginOf(blob.Digest),
            _ => null,
        };
        if (origin is not null && origin.Client == client && origin.Repository != repository)
            mountFrom ??= origin.Repository;
        return client.UploadBlobAsync(repository, blob, ct => blobs.OpenReadAsync(blob, ct), mountFrom, cancellationToken);
    }

    internal static async Task<ManifestDocument> ReadManifestAsync(IBlobSource blobs, Descriptor descriptor, CancellationToken cancellationToken)
    {
        await using var stream = await blobs.OpenReadAsync(descriptor, cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return ManifestDocument.FromBytes(buffer.ToArray(), descriptor.MediaType, $"manifest {descriptor.Digest}");
    }
}
