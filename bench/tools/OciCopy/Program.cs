// Copies images between OCI layouts and registries with Orchestrator.Oci, or makes a random test image.
//   OciCopy make <layout> <name> <layers> <MiB per layer>
//   OciCopy push <layout> <name> <destination reference>
//   OciCopy pull <source reference> <layout> <name>
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using Orchestrator;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Images;
using Orchestrator.Oci.Layout;
using Orchestrator.Oci.Registry;

var options = RegistryClientOptions.FromEnvironment();
if (int.TryParse(Environment.GetEnvironmentVariable("OCICOPY_PARALLEL"), out var parallel)) options = options with { MaxParallelTransfers = parallel };

try
{
    var stopwatch = Stopwatch.StartNew();
    switch (args)
    {
        case ["make", var layoutPath, var name, var layers, var mib]:
            await MakeAsync(OciLayout.OpenOrCreate(layoutPath), name, int.Parse(layers), int.Parse(mib));
            break;
        case ["push", var layoutPath, var name, var destination]:
        {
            using var pool = new RegistryClientPool(options);
            var results = await new ImageCopier(pool).CopyFromLayoutAsync(OciLayout.Open(layoutPath), name, [ImageReference.Parse(destination)]);
            Console.Error.WriteLine($"pushed {results[0].ManifestDigest}: {results[0].Uploaded} blobs uploaded, {results[0].Reused} reused");
            break;
        }
        case ["pull", var source, var layoutPath, var name]:
        {
            using var pool = new RegistryClientPool(options);
            var descriptor = await new ImageCopier(pool).CopyToLayoutAsync(ImageReference.Parse(source), OciLayout.OpenOrCreate(layoutPath), name);
            Console.Error.WriteLine($"pulled {descriptor.Digest}");
            break;
        }
        default:
            Console.Error.WriteLine("usage: OciCopy make <layout> <name> <layers> <MiB> | push <layout> <name> <ref> | pull <ref> <layout> <name>");
            return 2;
    }
    Console.Error.WriteLine($"took {stopwatch.Elapsed.TotalSeconds:F2} s");
    return 0;
}
catch (OrchestratorException e)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 1;
}

// Layers of random bytes (incompressible, so gzip level 1 barely changes the size), one file each.
static async Task MakeAsync(OciLayout layout, string name, int layerCount, int mibPerLayer)
{
    var config = new ImageConfig { Created = DateTimeOffset.UnixEpoch };
    var layers = new List<Descriptor>();
    var random = new Random(42);
    var chunk = new byte[1024 * 1024];
    for (var i = 0; i < layerCount; i++)
    {
        var tarPath = Path.Combine(layout.Root, $".layer{i}.tar");
        var gzPath = tarPath + ".gz";
        Digest diffId;
        await using (var tarFile = File.Create(tarPath))
        {
            await using (var hashing = new DigestingStream(tarFile, leaveOpen: true))
            {
                await using (var tar = new TarWriter(hashing, TarEntryFormat.Ustar, leaveOpen: true))
                {
                    var data = Path.Combine(layout.Root, $".data{i}");
                    await using (var file = File.Create(data))
                    {
                        for (var m = 0; m < mibPerLayer; m++)
                        {
                            random.NextBytes(chunk);
                            await file.WriteAsync(chunk);
                        }
                    }
                    await tar.WriteEntryAsync(data, $"data/layer{i}.bin");
                    File.Delete(data);
                }
                diffId = hashing.GetDigest();
            }
        }
        await using (var source = File.OpenRead(tarPath))
        await using (var target = File.Create(gzPath))
        await using (var gzip = new GZipStream(target, CompressionLevel.Fastest))
            await source.CopyToAsync(gzip);
        File.Delete(tarPath);
        await using (var compressed = File.OpenRead(gzPath))
        {
            var (digest, size) = await layout.AddAsync(compressed, default);
            layers.Add(new Descriptor(MediaTypes.OciLayerGzip, digest, size));
        }
        File.Delete(gzPath);
        config = config.WithLayer(diffId, new HistoryEntry { CreatedBy = $"random layer {i}" });
    }
    var configBytes = CanonicalJson.Serialize(config);
    var (configDigest, configSize) = await layout.AddAsync(new MemoryStream(configBytes), default);
    var manifest = ManifestDocument.From(new ImageManifest(MediaTypes.OciManifest, new Descriptor(MediaTypes.OciConfig, configDigest, configSize), layers));
    await layout.AddManifestAsync(manifest, name);
    Console.Error.WriteLine($"made {manifest.Digest}: {layerCount} layers, {layers.Sum(l => l.Size) / 1048576.0:F1} MiB");
}
