using System.Globalization;
using System.Text.Json;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Images;
using Orchestrator.Oci.Registry;
using Orchestrator.Oci.Storage;

namespace Orchestrator.Caching;

/// <summary>
/// The cache repository (<c>--cache-repo</c>, Kaniko's flag of the same name): each step's result is a small OCI
/// image tagged by its key (<see cref="TagOf"/>) — one layer for a step that made one, none for a config-only
/// step — so any registry stores it and skopeo reads it. The manifest's annotations record the key, the inputs
/// that went into it (<see cref="CacheKeyPart.Display"/>: values that may be sensitive only as digests), the
/// layer's diffID and when the entry was made; an entry older than the time to live is a miss, as Kaniko's
/// <c>--cache-ttl</c>. All lookups of a build go out at once, bounded, over the pool's connections: one wave
/// of round trips, not one per step in sequence.
/// </summary>
public sealed class RegistryCacheRepository
{
    public const string KeyAnnotation = "dev.orchestrator.cache.key";
    public const string InputsAnnotation = "dev.orchestrator.cache.inputs";
    public const string DiffIdAnnotation = "dev.orchestrator.cache.diff-id";
    public const string ValueAnnotation = "dev.orchestrator.cache.value";
    public const string CreatedAnnotation = "org.opencontainers.image.created";

    /// <summary>Kaniko's default <c>--cache-ttl</c>: two weeks.</summary>
    public static readonly TimeSpan DefaultTimeToLive = TimeSpan.FromHours(336);

    private readonly RegistryClientPool _registries;
    private readonly TimeProvider _clock;
    private readonly object _pingLock = new();
    private Task? _ping;

    public RegistryCacheRepository(RegistryClientPool registries, ImageReference repository, TimeSpan? timeToLive = null, int maxParallelLookups = 16, TimeProvider? clock = null)
    {
        if (repository.Tag is not null && repository.Tag != "latest" || repository.Digest is not null)
            throw new OrchestratorException($"cache repo '{repository}' names a tag or digest; give a repository only (e.g. registry.example.com/team/cache): entries are tagged by their keys");
        _registries = registries;
        Repository = repository;
        TimeToLive = timeToLive ?? DefaultTimeToLive;
        MaxParallelLookups = Math.Max(1, maxParallelLookups);
        _clock = clock ?? TimeProvider.System;
    }

    public ImageReference Repository { get; }

    public TimeSpan TimeToLive { get; }

    public int MaxParallelLookups { get; }

    private RegistryClient Client => _registries.For(Repository);

    /// <summary>The repository as a source of its entries' blobs (a hit's layer is fetched or mounted from here).</summary>
    public RegistryBlobSource Blobs => new(Client, Repository.Repository);

    /// <summary>The tag of a key's entry: <c>sha256-&lt;hex&gt;</c> (a tag may not hold ':').</summary>
    public static string TagOf(Digest key) => key.Algorithm + "-" + key.Hex;

    /// <summary>The tag of a stage's last keys (<see cref="PutHistoryAsync"/>): <c>history-&lt;hex&gt;</c>, apart from step entries.</summary>
    public static string HistoryTagOf(Digest key) => "history-" + key.Hex;

    /// <summary>
    /// Looks every key up at once (at most <see cref="MaxParallelLookups"/> requests in flight); returns the hits.
    /// Absent and expired entries are misses; so are damaged ones — a malformed manifest, a layer blob the repository
    /// no longer has — which <paramref name="onDamaged"/> hears of. The repository is pinged first: one that cannot be
    /// reached throws <see cref="OrchestratorException"/> naming it, so the caller can build without it.
    /// </summary>
    public async Task<IReadOnlyDictionary<Digest, CachedStep>> LookupAsync(IEnumerable<Digest> keys, CancellationToken cancellationToken, Action<Digest, string>? onDamaged = null)
    {
        await PingOnceAsync(cancellationToken).ConfigureAwait(false);
        var hits = new System.Collections.Concurrent.ConcurrentDictionary<Digest, CachedStep>();
        var options = new ParallelOptions { MaxDegreeOfParallelism = MaxParallelLookups, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(keys.Distinct(), options, async (key, ct) =>
        {
            var manifest = await Client.TryGetManifestAsync(Repository.Repository, TagOf(key), ct).ConfigureAwait(false);
            if (manifest is null || Expired(manifest)) return;
            if (Read(key, manifest) is not { } step)
                onDamaged?.Invoke(key, "is malformed");
            else if (step.Layer is { } layer && !await Client.BlobExistsAsync(Repository.Repository, layer.Digest, ct).ConfigureAwait(false))
                onDamaged?.Invoke(key, $"has lost its layer blob {layer.Digest.Short}");
            else
                hits[key] = step;
        }).ConfigureAwait(false);
        return hits;
    }

    /// <summary>
    /// One ping for every lookup of this repository object (a build makes one per repository): the stages' lookups,
    /// which go out at once, share it. A failed ping is forgotten, so a later lookup asks again. Each caller stops
    /// waiting when its own token is cancelled.
    /// </summary>
    private Task PingOnceAsync(CancellationToken cancellationToken)
    {
        Task ping;
        lock (_pingLock)
        {
            if (_ping is null || _ping.IsFaulted || _ping.IsCanceled)
                _ping = Client.PingAsync(CancellationToken.None);
            ping = _ping;
        }
        return ping.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Pushes a step's entry: its layer blob (when it has one; skipped when the repository has it already), a
    /// config that lists the layer's diffID, then the manifest under the key's tag, last, so a reader never finds
    /// a tag whose blobs are not all there.
    /// </summary>
    public Task PutAsync(CacheKey key, Descriptor? layer, Digest? diffId, IBlobSource blobs, Platform platform, CancellationToken cancellationToken)
    {
        if ((layer is null) != (diffId is null)) throw new ArgumentException("a layer needs its diffID and a diffID its layer");
        var annotations = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [InputsAnnotation] = JsonSerializer.Serialize(key.Parts.Select(p => new[] { p.Name, p.Display }).ToArray(), CacheJsonContext.Default.StringArrayArray),
        };
        if (diffId is { } diff) annotations[DiffIdAnnotation] = diff.ToString();
        return PushEntryAsync(key.Digest, TagOf(key.Digest), layer, diffId, annotations, blobs, platform, cancellationToken);
    }

    /// <summary>
    /// Remembers a small derived value under a key (the digest of what a <c>COPY --from</c> reads out of a stage with a
    /// given key): an entry without layer whose annotation holds the value, so another machine need not fetch and hash
    /// the files to know it.
    /// </summary>
    public Task PutValueAsync(Digest key, string value, Platform platform, CancellationToken cancellationToken) =>
        PutValueAsync(key, TagOf(key), value, platform, cancellationToken);

    /// <summary>The value remembered under <paramref name="key"/>, or null (absent, expired, not a value entry).</summary>
    public Task<string?> TryGetValueAsync(Digest key, CancellationToken cancellationToken) => TryGetValueAsync(key, TagOf(key), cancellationToken);

    /// <summary>
    /// Keeps a stage's last keys (<see cref="StepHistory"/>'s text) under <see cref="HistoryTagOf"/>: a value entry
    /// that the next build of the stage replaces, so a plan on any machine can say why a step misses.
    /// </summary>
    public Task PutHistoryAsync(Digest key, string history, Platform platform, CancellationToken cancellationToken) =>
        PutValueAsync(key, HistoryTagOf(key), history, platform, cancellationToken);

    /// <summary>The stage history kept under <paramref name="key"/>, or null.</summary>
    public Task<string?> TryGetHistoryAsync(Digest key, CancellationToken cancellationToken) => TryGetValueAsync(key, HistoryTagOf(key), cancellationToken);

    /// <summary>An entry without layer whose annotation holds <paramref name="value"/>, under <paramref name="tag"/>.</summary>
    private Task PutValueAsync(Digest key, string tag, string value, Platform platform, CancellationToken cancellationToken) =>
        PushEntryAsync(key, tag, null, null, new SortedDictionary<string, string>(StringComparer.Ordinal) { [ValueAnnotation] = value }, null, platform, cancellationToken);

    private async Task<string?> TryGetValueAsync(Digest key, string tag, CancellationToken cancellationToken)
    {
        var document = await Client.TryGetManifestAsync(Repository.Repository, tag, cancellationToken).ConfigureAwait(false);
        if (document is null || Expired(document)) return null;
        var annotations = document.AsManifest().Annotations;
        return annotations is not null && annotations.TryGetValue(KeyAnnotation, out var recorded) && recorded == key.ToString()
            && annotations.TryGetValue(ValueAnnotation, out var value) ? value : null;
    }

    private async Task PushEntryAsync(Digest key, string tag, Descriptor? layer, Digest? diffId, SortedDictionary<string, string> annotations, IBlobSource? blobs, Platform platform, CancellationToken cancellationToken)
    {
        var created = _clock.GetUtcNow();
        // The creation time is the manifest's annotation only: entries without a layer then share one config blob.
        var config = new ImageConfig
        {
            Os = platform.Os,
            Architecture = platform.Architecture,
            Variant = platform.Variant,
            RootFs = new RootFs("layers", diffId is { } id ? [id] : []),
        };
        var configBytes = CanonicalJson.Serialize(config);
        var configDescriptor = new Descriptor(MediaTypes.OciConfig, Digest.Sha256(configBytes), configBytes.LongLength);
        annotations[KeyAnnotation] = key.ToString();
        annotations[CreatedAnnotation] = created.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
        var manifest = ManifestDocument.From(new ImageManifest(MediaTypes.OciManifest, configDescriptor, layer is null ? [] : [layer]) { Annotations = annotations });
        var source = new EntryBlobs(blobs, configDescriptor, configBytes);
        var destination = Repository with { Tag = tag, Digest = null };
        await new ImagePusher(_registries).PushAsync(manifest, source, [destination], cancellationToken).ConfigureAwait(false);
    }

    private CachedStep? Read(Digest key, ManifestDocument document)
    {
        if (document.IsIndex) return null;
        var manifest = document.AsManifest();
        var annotations = manifest.Annotations;
        if (annotations is null || !annotations.TryGetValue(KeyAnnotation, out var recorded) || recorded != key.ToString()) return null;
        if (CreatedOf(manifest) is not { } created) return null;
        switch (manifest.Layers.Count)
        {
            case 0:
                return new CachedStep(key, null, null, created);
            case 1 when annotations.TryGetValue(DiffIdAnnotation, out var diffText) && Digest.TryParse(diffText, out var diffId):
                return new CachedStep(key, manifest.Layers[0], diffId, created);
            default:
                return null;
        }
    }

    /// <summary>An entry older than the time to live is a miss (Kaniko's <c>--cache-ttl</c>); so is one without a creation time.</summary>
    private bool Expired(ManifestDocument document) =>
        document.IsIndex || CreatedOf(document.AsManifest()) is not { } created || _clock.GetUtcNow() - created > TimeToLive;

    private static DateTimeOffset? CreatedOf(ImageManifest manifest) =>
        manifest.Annotations is { } annotations && annotations.TryGetValue(CreatedAnnotation, out var text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var created)
            ? created
            : null;

    /// <summary>The entry's own config from memory, every other blob from the build's blob source.</summary>
    private sealed class EntryBlobs(IBlobSource? blobs, Descriptor config, byte[] configBytes) : IBlobSource
    {
        public Task<Stream> OpenReadAsync(Descriptor blob, CancellationToken cancellationToken) =>
            blob.Digest == config.Digest ? Task.FromResult<Stream>(new MemoryStream(configBytes, writable: false))
            : blobs?.OpenReadAsync(blob, cancellationToken) ?? throw new InvalidOperationException("an entry without layer has no blob " + blob.Digest);
    }
}
