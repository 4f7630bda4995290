using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Registry;

namespace Orchestrator.Kubernetes;

/// <summary>The pod side of context delivery: downloads the node's context blob (digest checked) and unpacks it into the workspace.</summary>
public static class ContextFetcher
{
    public static async Task FetchAsync(string blobReference, long size, string folder, RegistryClientOptions registry, CancellationToken cancellationToken)
    {
        if (!ImageReference.TryParse(blobReference, out var reference, out var error) || reference.Digest is null)
            throw new OrchestratorException($"--blob '{blobReference}' must be REGISTRY/REPOSITORY@sha256:DIGEST{(error is null ? "" : ": " + error)}");
        using var client = new RegistryClient(reference.Registry, registry);
        var blob = new Descriptor(MediaTypes.OciLayerGzip, Digest.Parse(reference.Digest), size);
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
