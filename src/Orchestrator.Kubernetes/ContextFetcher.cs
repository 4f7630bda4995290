using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Registry;

namespace Orchestrator.Kubernetes;

/// <summary>
/// The pod side of context delivery: downloads the node's context blob (digest checked) and unpacks it into a
/// folder. The init container of a pod whose executor is upstream Kaniko runs it (<c>k8s fetch-context</c>);
/// this project's executor runs it itself for a <c>--context</c> of the form <see cref="Scheme"/>REGISTRY/REPOSITORY@sha256:DIGEST.
/// </summary>
public static class ContextFetcher
{
    /// <summary>The <c>--context</c> prefix of a build context kept as a blob in a registry (this project's executor only).</summary>
    public const string Scheme = "oci-blob://";

    /// <summary>Fetches and unpacks the blob; <paramref name="size"/> null: asked of the registry first (a HEAD).</summary>
    public static async Task FetchAsync(string blobReference, long? size, string folder, RegistryClientOptions registry, CancellationToken cancellationToken)
    {
        if (!ImageReference.TryParse(blobReference, out var reference, out var error) || reference.Digest is null)
            throw new OrchestratorException($"build context blob '{blobReference}' must be REGISTRY/REPOSITORY@sha256:DIGEST{(error is null ? "" : ": " + error)}");
        using var client = new RegistryClient(reference.Registry, registry);
        var digest = Digest.Parse(reference.Digest);
        var length = size ?? await client.BlobSizeAsync(reference.Repository, digest, cancellationToken).ConfigureAwait(false)
            ?? throw new OrchestratorException($"build context blob {blobReference} is not in the registry (was it deleted, or is the pod reading another registry than the one the build uploaded to?)");
        var blob = new Descriptor(MediaTypes.OciLayerGzip, digest, length);
        await client.DownloadBlobAsync(reference.Repository, blob, async (stream, ct) =>
        {
            if (Directory.Exists(folder))
                foreach (var entry in Directory.EnumerateFileSystemEntries(folder)) Delete(entry); // a retried download starts clean
            await BuildContextArchive.ExtractAsync(stream, folder, ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    private static void Delete(string path)
    {
        if (Directory.Exists(path) && new FileInfo(path).LinkTarget is null) Directory.Delete(path, recursive: true);
        else File.Delete(path);
    }
}
