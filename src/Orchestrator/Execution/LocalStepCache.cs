using System.Text;
using Orchestrator.Caching;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Storage;
using Orchestrator.Planning;
using Orchestrator.Recipes;

namespace Orchestrator.Execution;

/// <summary>
/// The local build cache of one build: computes a stage's step keys (<see cref="CacheKeyChain"/>, with the
/// file-hash memo in the cache folder), looks steps up in the <see cref="LocalCacheIndex"/> and records what a run
/// produced. A key names what a step computes; the index entry is namespaced by how its layer was encoded
/// (compression, timestamp policy, ignored paths), so a layer written with other settings is never reused.
/// Safe to share between stages built in parallel: key computations take turns (the hasher and its memos are
/// shared).
/// </summary>
public sealed class LocalStepCache
{
    private readonly LocalCacheIndex _index;
    private readonly FileContentHasher _files;
    private readonly SemaphoreSlim _keysGate = new(1, 1);
    private readonly string _namespace;

    public LocalStepCache(LocalBuildOptions options, LocalBlobStore blobs)
    {
        _index = new LocalCacheIndex(options.CacheDirectory, blobs);
        _files = new FileContentHasher(options.CacheDirectory);
        Hasher = new CopySourceHasher(_files);
        LooksUp = !options.NoCache;
        var layers = options.Layers;
        _namespace = string.Join('\n',
            "compression=" + layers.Compression, "level=" + layers.CompressionLevel,
            "timestamps=" + layers.Timestamps.Epoch?.ToUnixTimeSeconds() + (layers.Timestamps.IsFixed ? ":fixed" : ""),
            "ignore=" + string.Join(',', options.IgnorePaths.Order(StringComparer.Ordinal)));
    }

    /// <summary>The hasher of copied content (memoised in the cache folder); use it only inside <see cref="ComputeKeysAsync"/>.</summary>
    public CopySourceHasher Hasher { get; }

    /// <summary>False with <c>--no-cache</c>: nothing is looked up or reused (results are still recorded).</summary>
    public bool LooksUp { get; }

    /// <summary>
    /// The keys of a stage's steps, from its base's identity (or the key its base stage was built with). Null when
    /// they cannot be computed (a source that does not exist, an upstream without a key): the steps then run, and the
    /// run reports what is wrong in its own words.
    /// </summary>
    public async Task<StageCacheKeys?> ComputeKeysAsync(StageJob job, ICacheKeyInputs inputs, Platform platform, CancellationToken cancellationToken)
    {
        var stage = job.Node.Stage;
        await _keysGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            CacheKeyRoot root;
            switch (stage.Base)
            {
                case ImageSource.Scratch:
                    root = new CacheKeyRoot.Scratch(platform);
                    break;
                case ImageSource.Stage s when job.Inputs.TryGetValue(s.Name, out var input) && input is LocalStageResult { Key: { } upstream }:
                    root = new CacheKeyRoot.Stage(s.Name, upstream);
                    break;
                case ImageSource.Registry or ImageSource.Layout:
                    root = new CacheKeyRoot.Image(await inputs.ResolveBaseAsync(stage.Base, platform, cancellationToken).ConfigureAwait(false), platform);
                    break;
                default:
                    return null;
            }
            var inherited = stage.Base is ImageSource.Stage from && job.Inputs.TryGetValue(from.Name, out var parent) && parent is LocalStageResult built ? built.Args : null;
            var keys = await new CacheKeyChain(inputs, Hasher).ComputeStageAsync(stage, root, null, platform, cancellationToken, inherited).ConfigureAwait(false);
            await _files.SaveMemosAsync(cancellationToken).ConfigureAwait(false);
            return keys;
        }
        catch (Exception error) when (error is OrchestratorException or NotSupportedException or IOException or UnauthorizedAccessException)
        {
            job.Log("cache keys not computed, every step runs: " + error.Message);
            return null;
        }
        finally
        {
            _keysGate.Release();
        }
    }

    /// <summary>The cached result of a step, or null (no key, <c>--no-cache</c>, no entry, a damaged entry, a missing or corrupt blob: told to <paramref name="warn"/>).</summary>
    public CachedStep? Find(CacheKey? key, Action<string>? warn = null) => key is null || !LooksUp ? null : _index.TryGet(IndexKey(key), warn);

    /// <summary>Records what a step that ran produced; call once its layer blob (if any) is in the blob store.</summary>
    public void Record(CacheKey? key, LocalLayer? layer, DateTimeOffset created)
    {
        if (key is null) return;
        _index.Put(new CachedStep(IndexKey(key), layer?.Blob, layer?.DiffId, created));
    }

    private Digest IndexKey(CacheKey key) => Digest.Sha256(Encoding.UTF8.GetBytes(key.Digest + "\n" + _namespace));
}
