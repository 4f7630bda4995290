using System.Text;
using Orchestrator.Caching;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Tests.Layers;

namespace Orchestrator.Tests.Caching;

public sealed class LocalCacheIndexTests : IDisposable
{
    private readonly TempFolder _cache = new();
    private readonly HashSet<Digest> _blobs = [];

    public void Dispose() => _cache.Dispose();

    private LocalCacheIndex Index() => new(_cache.Path, _blobs.Contains);

    private static Digest Key(string text) => Digest.Sha256(Encoding.UTF8.GetBytes(text));

    private CachedStep LayerStep(string key)
    {
        var layer = new Descriptor(MediaTypes.OciLayerGzip, Key("blob " + key), 1234);
        _blobs.Add(layer.Digest);
        return new CachedStep(Key(key), layer, Key("diff " + key), DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
    }

    private string EntryPath(Digest key) => Path.Combine(_cache.Path, "cache-index", "sha256", key.Hex + ".json");

    [Fact]
    public void An_entry_reads_back_as_written_in_a_new_index()
    {
        var step = LayerStep("copy");
        var configOnly = new CachedStep(Key("env"), null, null, DateTimeOffset.FromUnixTimeSeconds(1_700_000_001));

        Index().Put(step);
        Index().Put(configOnly);

        Assert.Equal(step, Index().TryGet(step.Key));
        Assert.Equal(configOnly, Index().TryGet(configOnly.Key));
        Assert.False(Index().TryGet(configOnly.Key)!.HasLayer);
        Assert.Null(Index().TryGet(Key("never written")));
    }

    [Fact]
    public void An_entry_whose_layer_blob_is_gone_is_a_miss()
    {
        var step = LayerStep("run");
        Index().Put(step);
        _blobs.Clear();

        Assert.Null(Index().TryGet(step.Key));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"Version\":1,\"Key\":")]
    [InlineData("not json at all")]
    [InlineData("{\"Version\":99}")]
    public void A_damaged_entry_is_a_miss_not_an_error(string content)
    {
        var step = LayerStep("run");
        Index().Put(step);
        File.WriteAllText(EntryPath(step.Key), content);

        Assert.Null(Index().TryGet(step.Key));
    }

    [Fact]
    public void An_entry_filed_under_another_key_is_a_miss()
    {
        var a = LayerStep("a");
        var b = LayerStep("b");
        Index().Put(a);
        File.Copy(EntryPath(a.Key), EntryPath(b.Key));

        Assert.Null(Index().TryGet(b.Key));
    }

    [Fact]
    public async Task Writers_of_the_same_key_at_once_all_succeed_and_leave_one_whole_entry()
    {
        var step = LayerStep("same");

        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => Index().Put(step))));

        Assert.Equal(step, Index().TryGet(step.Key));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_cache.Path, "cache-index", "tmp")));
    }
}
