using System.Security.Cryptography;
using Orchestrator.Layers;
using Orchestrator.Oci;
using Orchestrator.Testing.BaseImages;
using Orchestrator.Tests.Layers;

namespace Orchestrator.Tests.Local;

/// <summary>The busybox base layer, extracted once into a layer store shared by the sandbox tests.</summary>
public sealed class BusyboxStoreFixture : IAsyncLifetime
{
    private readonly TempFolder _temp = new();

    public string CacheDirectory => _temp.Path;

    public LayerStore Store { get; private set; } = null!;

    public string BaseLayer { get; private set; } = null!;

    public Digest BaseDiffId { get; private set; }

    /// <summary>The base layer blob (tar.gz) as the fixture packed it.</summary>
    public string BaseBlob { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var blob = BaseBlob = Path.Combine(_temp.Path, "busybox.tar.gz");
        await BusyboxLayer.WriteAsync(blob);
        await using (var file = File.OpenRead(blob))
        await using (var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress))
            BaseDiffId = await Digest.Sha256Async(gzip);
        Store = new LayerStore(Path.Combine(_temp.Path, "cache"));
        BaseLayer = await Store.GetOrExtractAsync(BaseDiffId, _ => Task.FromResult<Stream>(File.OpenRead(blob)));
    }

    /// <summary>A fresh folder next to the store (same filesystem, as overlay requires) for one step.</summary>
    public string NewStepFolder()
    {
        var path = Path.Combine(_temp.Path, "steps", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>The base layer extracted on its own into a fresh writable folder: the chroot fallback's root.</summary>
    public async Task<string> FlatRootfsAsync()
    {
        var rootfs = Path.Combine(NewStepFolder(), "rootfs");
        await using var blob = File.OpenRead(BaseBlob);
        await new LayerExtractor(new() { Whiteouts = WhiteoutMode.Apply }).ExtractAsync(blob, rootfs);
        return rootfs;
    }

    public Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }
}
