using System.Collections.Concurrent;
using System.Text;
using Orchestrator.Caching;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Images;
using Orchestrator.Oci.Registry;
using Orchestrator.Planning;
using Orchestrator.Recipes;

namespace Orchestrator.Execution;

/// <summary>
/// The build cache of one build: computes a stage's step keys (<see cref="CacheKeyChain"/>, with the file-hash memo in
/// the cache folder), looks every step up — in the <see cref="LocalCacheIndex"/> first, then, for what the machine
/// does not have, in the stage's cache repo (<see cref="RegistryCacheRepository"/>, one concurrent wave per stage) —
/// and records what a run produced, locally at once and in the cache repo in the background (<see cref="CompleteAsync"/>
/// waits for those pushes). A key names what a step computes; the entry is namespaced by how its layer was encoded
/// (compression, timestamp policy, ignored paths), so a layer written with other settings is never reused.
/// Safe to share between stages built in parallel: key computations take turns (the hasher and its memos are shared).
/// </summary>
public sealed class StepCache : IDisposable
{
    private const int MaxParallelPushes = 4;

    private readonly LocalBuildOptions _options;
    private readonly LocalCacheIndex _index;
    private readonly CopiedContentMemo _copied;
    private readonly FileContentHasher _files;
    private readonly BuildBlobs _blobs;
    private readonly RegistryClientPool _registries;
    private readonly SemaphoreSlim _keysGate = new(1, 1);
    private readonly string _namespace;
    private readonly ConcurrentDictionary<string, CacheRepo> _repos = new(StringComparer.Ordinal);
    private readonly List<Task> _pushes = [];
    private readonly ConcurrentQueue<string> _warnings = new();
    private readonly ConcurrentDictionary<Digest, Digest> _remoteHitLayers = new();
    private readonly ConcurrentDictionary<Digest, bool> _unusable = new();
    private readonly SemaphoreSlim _pushSlots = new(MaxParallelPushes);
    private readonly CancellationTokenSource _disposed = new();
    private int _pushed;
    private int _entryPushes;

    public StepCache(LocalBuildOptions options, BuildBlobs blobs, RegistryClientPool registries)
    {
        _options = options;
        _blobs = blobs;
        _registries = registries;
        _index = new LocalCacheIndex(options.CacheDirectory, blobs.Local);
        _files = new FileContentHasher(options.CacheDirectory);
        Hasher = new CopySourceHasher(_files);
        History = new StepHistory(options.CacheDirectory);
        _copied = new CopiedContentMemo(options.CacheDirectory);
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
            var inherited = stage.Base is ImageSource.Stage from && job.Inputs.TryGetValue(from.Name, out var parent) && parent is LocalStageResult built ? built.Args : stage.StartArgs;
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

    /// <summary>
    /// The cached result of each step of the stage (null where it misses): the local index first, then one wave of
    /// lookups in the stage's cache repo for the rest. A remote hit's layer stays in the cache repo until something
    /// reads it (<see cref="BuildBlobs"/>). An unreachable cache repo is a warning and the build goes on without it,
    /// unless <see cref="LocalBuildOptions.CacheRequired"/>.
    /// </summary>
    public async Task<IReadOnlyList<CachedStep?>> LookupAsync(StageRecipe stage, StageCacheKeys? keys, Action<string> warn, CancellationToken cancellationToken)
    {
        var found = new CachedStep?[stage.Instructions.Count];
        if (keys is null || !LooksUp) return found;
        var remote = new List<(int Step, Digest Entry)>();
        var repo = RepoFor(stage);
        for (var i = 0; i < found.Length; i++)
        {
            if (keys.Steps[i].Key is not { } key) continue;
            var entry = EntryKey(key);
            if (_unusable.ContainsKey(entry)) continue;
            found[i] = _index.TryGet(entry, warn);
            if (found[i] is null && repo is not null && SharesWithRepo(stage.Instructions[i])) remote.Add((i, entry));
        }
        if (remote.Count == 0 || repo is null || repo.Disabled) return found;

        IReadOnlyDictionary<Digest, CachedStep> hits;
        try
        {
            hits = await repo.Repository.LookupAsync(remote.Select(r => r.Entry), cancellationToken,
                (entry, problem) => warn($"cache repo {repo.Name}: entry {RegistryCacheRepository.TagOf(entry)} {problem}; the step runs")).ConfigureAwait(false);
        }
        catch (OrchestratorException error)
        {
            if (_options.CacheRequired)
                throw new OrchestratorException($"cache repo {repo.Name} cannot be read (--cache-required): {error.Message}", error);
            if (!repo.Disabled)
            {
                repo.Disabled = true;
                warn($"cache repo {repo.Name} cannot be read, building without it: {error.Message}");
            }
            return found;
        }
        var origin = repo.Repository.Blobs;
        foreach (var (step, entry) in remote)
        {
            if (!hits.TryGetValue(entry, out var hit)) continue;
            if (hit.Layer is { } layer)
            {
                _blobs.AddOrigin(layer, origin);
                _remoteHitLayers[layer.Digest] = entry;
            }
            else
            {
                // A config-only hit needs nothing more to be a local one; a layer hit's blob is not here (and may never come).
                _index.Put(hit);
            }
            found[step] = hit;
        }
        return found;
    }

    /// <summary>
    /// Records what a step that ran produced (call once its layer blob, if any, is in the blob store): in the local
    /// index now, and in the stage's cache repo in the background unless <c>--no-push-cache</c>.
    /// </summary>
    public void Record(StageJob job, int step, CacheKey? key, LocalLayer? layer, Platform platform)
    {
        if (key is null) return;
        var entry = EntryKey(key);
        _index.Put(new CachedStep(entry, layer?.Blob, layer?.DiffId, DateTimeOffset.UtcNow));
        var stage = job.Node.Stage;
        if (!_options.PushCache || RepoFor(stage) is not { Disabled: false } repo || !SharesWithRepo(stage.Instructions[step])) return;
        var entryKey = new CacheKey(entry, [.. key.Parts, new CacheKeyPart("layer-encoding", _namespace.Replace('\n', ' '))]);
        var push = PushAsync(job.Node.Name, repo, RegistryCacheRepository.TagOf(entry), ct => repo.Repository.PutAsync(entryKey, layer?.Blob, layer?.DiffId, _blobs, platform, ct));
        lock (_pushes) _pushes.Add(push);
    }

    /// <summary>
    /// What a <c>COPY --from=stage</c> reads, if a build already hashed it for a stage with <paramref name="upstreamKey"/>:
    /// remembered on this machine, else in the copying stage's cache repo. Null with <c>--no-cache</c>.
    /// </summary>
    public async Task<SelectionDigest?> FindCopiedAsync(CopyFromRequest request, CacheKey upstreamKey, CancellationToken cancellationToken)
    {
        if (!LooksUp) return null;
        var memoKey = request.MemoKey(upstreamKey);
        if (_copied.TryGet(memoKey) is { } known) return known;
        if (RepoFor(request.CacheRepo) is not { Disabled: false } repo) return null;
        try
        {
            if (await repo.Repository.TryGetValueAsync(memoKey, cancellationToken).ConfigureAwait(false) is { } text && CopiedContentMemo.Parse(text) is { } remote)
            {
                _copied.Put(memoKey, remote);
                return remote;
            }
        }
        catch (OrchestratorException)
        {
            // The files are hashed instead; the step lookups say what is wrong with the cache repo.
        }
        return null;
    }

    /// <summary>Remembers what a <c>COPY --from=stage</c> read out of a stage with <paramref name="upstreamKey"/>, here and (in the background) in the cache repo.</summary>
    public void RememberCopied(string node, CopyFromRequest request, CacheKey upstreamKey, SelectionDigest digest)
    {
        var memoKey = request.MemoKey(upstreamKey);
        _copied.Put(memoKey, digest);
        if (!_options.PushCache || RepoFor(request.CacheRepo) is not { Disabled: false } repo) return;
        var push = PushAsync(node, repo, RegistryCacheRepository.TagOf(memoKey), ct => repo.Repository.PutValueAsync(memoKey, CopiedContentMemo.Format(digest), request.Platform, ct));
        lock (_pushes) _pushes.Add(push);
    }

    /// <summary>Keeps the stage's keys as its last build's, for the plan's reasons (<see cref="StepHistory"/>): here and, in the background, in its cache repo.</summary>
    public void Remember(StageRecipe stage, StageCacheKeys? keys, Platform platform)
    {
        if (keys is null) return;
        History.Record(stage.Name, stage.Context, keys);
        if (!_options.PushCache || RepoFor(stage) is not { Disabled: false } repo) return;
        var key = StepHistory.RemoteKey(stage);
        var push = PushAsync(stage.Name, repo, RegistryCacheRepository.HistoryTagOf(key), ct => repo.Repository.PutHistoryAsync(key, StepHistory.Format(keys), platform, ct), isEntry: false);
        lock (_pushes) _pushes.Add(push);
    }

    /// <summary>The stage's last recorded keys: this machine's, else those its cache repo keeps from another machine's build.</summary>
    public async Task<StepHistory.Entry?> LastAsync(StageRecipe stage, CancellationToken cancellationToken)
    {
        if (History.Last(stage.Name, stage.Context) is { } local) return local;
        if (!LooksUp || RepoFor(stage) is not { Disabled: false } repo) return null;
        try
        {
            return await repo.Repository.TryGetHistoryAsync(StepHistory.RemoteKey(stage), cancellationToken).ConfigureAwait(false) is { } text ? StepHistory.Parse(text) : null;
        }
        catch (OrchestratorException)
        {
            return null; // only the reasons are missing
        }
    }

    public StepHistory History { get; }

    /// <summary>
    /// Drops the cache-repo entry whose layer is <paramref name="layer"/> for the rest of the build (its blob could not
    /// be fetched); false when no remote hit had that layer.
    /// </summary>
    public bool Forget(Digest layer) => _remoteHitLayers.TryRemove(layer, out var entry) && _unusable.TryAdd(entry, true);

    /// <summary>The digest the entry of a step's key is stored under: the key with the layer encoding of this build.</summary>
    public Digest EntryKey(CacheKey key) => Digest.Sha256(Encoding.UTF8.GetBytes(key.Digest + "\n" + _namespace));

    /// <summary>Waits for the cache pushes still running; reports each one that failed as a warning (never a failed build).</summary>
    public async Task CompleteAsync(IBuildObserver observer, CancellationToken cancellationToken)
    {
        Task[] pending;
        lock (_pushes) pending = [.. _pushes];
        await Task.WhenAll(pending).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (Volatile.Read(ref _entryPushes) is var entries and > 0)
            observer.OnNote($"cache: {_pushed} of {entries} new entries pushed to {string.Join(", ", _repos.Values.Select(r => r.Name))}");
        while (_warnings.TryDequeue(out var warning)) observer.OnWarning(warning);
    }

    public void Dispose()
    {
        _disposed.Cancel();
        _disposed.Dispose();
    }

    /// <summary>One push to the cache repo, off the critical path; <paramref name="isEntry"/>: counted in the build's summary (a stage's history is bookkeeping, not an entry).</summary>
    private async Task PushAsync(string node, CacheRepo repo, string tag, Func<CancellationToken, Task> push, bool isEntry = true)
    {
        if (isEntry) Interlocked.Increment(ref _entryPushes);
        var cancellationToken = _disposed.Token;
        await Task.Yield();
        try
        {
            await _pushSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await push(cancellationToken).ConfigureAwait(false);
                if (isEntry) Interlocked.Increment(ref _pushed);
            }
            finally
            {
                _pushSlots.Release();
            }
        }
        catch (Exception error) when (error is OrchestratorException or IOException or HttpRequestException)
        {
            _warnings.Enqueue($"{node}: cache entry {tag} not pushed to {repo.Name}: {error.Message}");
        }
        catch (OperationCanceledException)
        {
        }
    }

    private CacheRepo? RepoFor(StageRecipe stage) => RepoFor(stage.CacheRepo);

    private CacheRepo? RepoFor(string? cacheRepo) =>
        cacheRepo is { } name
            ? _repos.GetOrAdd(name, n => new CacheRepo(new RegistryCacheRepository(_registries, ImageReference.Parse(n), _options.CacheTimeToLive)))
            : null;

    /// <summary>Kaniko's <c>--cache-run-layers</c> and <c>--cache-copy-layers</c>: which steps the cache repo holds (every other kind always).</summary>
    private bool SharesWithRepo(Instruction instruction) => instruction switch
    {
        RunInstruction => _options.CacheRunLayers,
        CopyInstruction or AddInstruction => _options.CacheCopyLayers,
        _ => true,
    };

    private sealed class CacheRepo(RegistryCacheRepository repository)
    {
        public RegistryCacheRepository Repository { get; } = repository;

        /// <summary>The repository as people write it (no tag).</summary>
        public string Name => Repository.Repository.Name;

        public volatile bool Disabled;
    }
}
