using Orchestrator.Oci;
using Orchestrator.Oci.Archive;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Images;
using Orchestrator.Oci.Layout;
using Orchestrator.Oci.Registry;
using Orchestrator.Oci.Storage;

namespace Orchestrator.Execution;

/// <summary>
/// Sends a finished image where its recipe says: pushes to registry destinations (blobs, config included,
/// then manifest) and writes local outputs (a folder becomes an OCI layout, a <c>.tar</c> a docker-archive).
/// Outputs are written to a temporary name and renamed, so a failed build leaves no half-written output.
/// </summary>
public sealed class ImagePublisher(RegistryClientPool registries, IBlobSource blobs)
{
    public async Task<IReadOnlyList<string>> PublishAsync(string imageName, ManifestDocument manifest, IReadOnlyList<string> destinations, IReadOnlyList<string> outputs, CancellationToken cancellationToken)
    {
        var published = new List<string>();
        foreach (var output in outputs)
        {
            if (output.EndsWith(".tar", StringComparison.OrdinalIgnoreCase))
                await WriteArchiveAsync(output, imageName, manifest, destinations, cancellationToken).ConfigureAwait(false);
            else
                await WriteLayoutAsync(output, manifest, cancellationToken).ConfigureAwait(false);
            published.Add($"{output}@{manifest.Digest}");
        }

        if (destinations.Count > 0)
        {
            var references = destinations.Select(ImageReference.Parse).ToList();
            var results = await new ImagePusher(registries).PushAsync(manifest, blobs, references, cancellationToken).ConfigureAwait(false);
            published.AddRange(results.Select(r => $"{r.Destination}@{r.ManifestDigest}"));
        }
        return published;
    }

    private async Task WriteLayoutAsync(string folder, ManifestDocument manifest, CancellationToken cancellationToken)
    {
        // An OCI layout may hold several images; ours is added (or replaced under the same ref name).
        var layout = OciLayout.OpenOrCreate(folder);
        foreach (var blob in manifest.AsManifest().Blobs)
        {
            if (await layout.ContainsAsync(blob.Digest, cancellationToken).ConfigureAwait(false)) continue;
            await using var content = await blobs.OpenReadAsync(blob, cancellationToken).ConfigureAwait(false);
            await layout.PutAsync(blob, content, cancellationToken).ConfigureAwait(false);
        }
        await layout.AddManifestAsync(manifest, "latest", cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private async Task WriteArchiveAsync(string path, string imageName, ManifestDocument manifest, IReadOnlyList<string> destinations, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var tags = destinations.Count > 0
            ? destinations.Select(ImageReference.Parse).ToList()
            : [ImageReference.Parse(imageName.Replace('/', '-') + ":latest")];
        var temp = path + $".tmp-{Guid.NewGuid():N}";
        try
        {
            await DockerArchiveWriter.WriteAsync(temp, manifest.AsManifest(), blobs, tags, cancellationToken).ConfigureAwait(false);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
