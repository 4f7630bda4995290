using System.Formats.Tar;
using System.IO.Compression;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Storage;

namespace Orchestrator.Testing;

/// <summary>
/// Makes small real images for tests: each layer is a gzip'd tar holding files of random bytes
/// under <c>/layerN/</c>, with correct digests and diffIDs, stored in any <see cref="IBlobStore"/>.
/// </summary>
public static class TestImages
{
    public static async Task<ManifestDocument> CreateAsync(IBlobStore store, int layerCount, int bytesPerLayer, string mediaType = MediaTypes.OciManifest, int seed = 1, CancellationToken cancellationToken = default)
    {
        var random = new Random(seed);
        var layers = new List<Descriptor>();
        var config = new ImageConfig
        {
            Created = DateTimeOffset.UnixEpoch,
            Config = new ContainerConfig
            {
                Env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                Cmd = ["/bin/sh"],
                WorkingDir = "/",
                Labels = new Dictionary<string, string> { ["test.seed"] = seed.ToString() },
            },
        };
        for (var i = 0; i < layerCount; i++)
        {
            var (layer, diffId) = await CreateLayerAsync(store, $"layer{i}", bytesPerLayer, random, mediaType, cancellationToken);
            layers.Add(layer);
            config = config.WithLayer(diffId, new HistoryEntry { Created = DateTimeOffset.UnixEpoch, CreatedBy = $"test layer {i}" });
        }
        var configBytes = CanonicalJson.Serialize(config);
        var (configDigest, configSize) = await store.AddAsync(new MemoryStream(configBytes), cancellationToken);
        var manifest = new ImageManifest(mediaType, new Descriptor(MediaTypes.ConfigFor(mediaType), configDigest, configSize), layers);
        var document = ManifestDocument.From(manifest);
        await store.PutAsync(document.Descriptor, new MemoryStream(document.Content), cancellationToken);
        return document;
    }

    /// <summary>One gzip'd tar layer with a few random files in <c>/<paramref name="folder"/>/</c>; returns its descriptor and diffID.</summary>
    public static async Task<(Descriptor Layer, Digest DiffId)> CreateLayerAsync(IBlobStore store, string folder, int bytes, Random random, string manifestMediaType = MediaTypes.OciManifest, CancellationToken cancellationToken = default)
    {
        var tarPath = Path.GetTempFileName();
        try
        {
            Digest diffId;
            await using (var tarFile = File.Create(tarPath))
            await using (var hashing = new DigestingStream(tarFile, leaveOpen: true))
            {
                await using (var tar = new TarWriter(hashing, TarEntryFormat.Ustar, leaveOpen: true))
                {
                    await tar.WriteEntryAsync(new UstarTarEntry(TarEntryType.Directory, folder + "/") { Mode = (UnixFileMode)0b111_101_101, ModificationTime = DateTimeOffset.UnixEpoch }, cancellationToken);
                    var files = Math.Max(1, Math.Min(4, bytes / 1024));
                    var remaining = bytes;
                    for (var f = 0; f < files; f++)
                    {
                        var size = f == files - 1 ? remaining : bytes / files;
                        remaining -= size;
                        var data = new byte[size];
                        random.NextBytes(data);
                        var entry = new UstarTarEntry(TarEntryType.RegularFile, $"{folder}/file{f}.bin")
                        {
                            Mode = (UnixFileMode)0b110_100_100,
                            ModificationTime = DateTimeOffset.UnixEpoch,
                            DataStream = new MemoryStream(data),
                        };
                        await tar.WriteEntryAsync(entry, cancellationToken);
                    }
                }
                diffId = hashing.GetDigest();
            }
            var gzPath = tarPath + ".gz";
            try
            {
                await using (var source = File.OpenRead(tarPath))
                await using (var target = File.Create(gzPath))
                await using (var gzip = new GZipStream(target, CompressionLevel.Fastest))
                    await source.CopyToAsync(gzip, cancellationToken);
                await using var compressed = File.OpenRead(gzPath);
                var (digest, size) = await store.AddAsync(compressed, cancellationToken);
                return (new Descriptor(MediaTypes.GzipLayerFor(manifestMediaType), digest, size), diffId);
            }
            finally
            {
                File.Delete(gzPath);
            }
        }
        finally
        {
            File.Delete(tarPath);
        }
    }
}
