using System.IO.Compression;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Layout;
using Orchestrator.Testing;

namespace Orchestrator.Tests.Conformance;

/// <summary>
/// Turns a root filesystem tarball (plain or gzip'd) into a one-layer image and pushes it to a
/// registry with skopeo, so our builder and buildah pull the very same base from the same place.
/// </summary>
internal static class BaseImagePublisher
{
    public static async Task PublishAsync(string tarball, string reference, IReadOnlyList<string> cmd, string work, CancellationToken cancellationToken = default)
    {
        var layoutPath = Path.Combine(work, "layout-" + Guid.NewGuid().ToString("N"));
        try
        {
            await WriteLayoutAsync(tarball, layoutPath, cmd, work, cancellationToken);
            await PushAsync(layoutPath, reference);
        }
        finally
        {
            if (Directory.Exists(layoutPath)) Directory.Delete(layoutPath, recursive: true);
        }
    }

    /// <summary>Writes the one-layer image into an OCI layout, tagged <c>latest</c> (kept, e.g. to unpack the base itself).</summary>
    public static async Task WriteLayoutAsync(string tarball, string layoutPath, IReadOnlyList<string> cmd, string work, CancellationToken cancellationToken = default)
    {
        var layout = OciLayout.OpenOrCreate(layoutPath);
        var gzipped = Path.Combine(work, Guid.NewGuid().ToString("N") + ".tar.gz");
        try
        {
            var diffId = await WriteGzipAsync(tarball, gzipped, cancellationToken);
            Descriptor layer;
            await using (var content = File.OpenRead(gzipped))
            {
                var (digest, size) = await layout.AddAsync(content, cancellationToken);
                layer = new Descriptor(MediaTypes.OciLayerGzip, digest, size);
            }
            var config = new ImageConfig
            {
                Created = DateTimeOffset.UnixEpoch,
                Config = new ContainerConfig
                {
                    Env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                    Cmd = cmd,
                },
            }.WithLayer(diffId, new HistoryEntry { Created = DateTimeOffset.UnixEpoch, CreatedBy = "root filesystem from " + Path.GetFileName(tarball) });
            var configBytes = CanonicalJson.Serialize(config);
            var (configDigest, configSize) = await layout.AddAsync(new MemoryStream(configBytes), cancellationToken);
            var manifest = ManifestDocument.From(new ImageManifest(MediaTypes.OciManifest, new Descriptor(MediaTypes.OciConfig, configDigest, configSize), [layer]));
            await layout.PutAsync(manifest.Descriptor, new MemoryStream(manifest.Content), cancellationToken);
            await layout.AddManifestAsync(manifest, "latest", cancellationToken: cancellationToken);
        }
        finally
        {
            File.Delete(gzipped);
        }
    }

    /// <summary>Pushes the layout's <c>latest</c> image to <paramref name="reference"/> with skopeo (plain HTTP allowed).</summary>
    public static async Task PushAsync(string layoutPath, string reference) =>
        (await ExternalTool.RunAsync("skopeo", ["copy", "--quiet", "--dest-tls-verify=false", $"oci:{layoutPath}:latest", $"docker://{reference}"], TimeSpan.FromMinutes(5))).EnsureSuccess();

    /// <summary>Writes the tarball gzip'd to <paramref name="target"/>; returns the diffID (digest of the plain tar).</summary>
    private static async Task<Digest> WriteGzipAsync(string tarball, string target, CancellationToken cancellationToken)
    {
        await using var source = File.OpenRead(tarball);
        var magic = new byte[2];
        await source.ReadExactlyAsync(magic, cancellationToken);
        source.Position = 0;
        if (magic[0] == 0x1f && magic[1] == 0x8b)
        {
            await using (var copy = File.Create(target))
                await source.CopyToAsync(copy, cancellationToken);
            source.Position = 0;
            await using var plain = new GZipStream(source, CompressionMode.Decompress);
            await using var hashing = new DigestingStream(Stream.Null, leaveOpen: true);
            await plain.CopyToAsync(hashing, cancellationToken);
            return hashing.GetDigest();
        }
        await using var file = File.Create(target);
        await using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        await using var digesting = new DigestingStream(gzip, leaveOpen: true);
        await source.CopyToAsync(digesting, cancellationToken);
        return digesting.GetDigest();
    }
}
