using System.Collections.Concurrent;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Images;
using Orchestrator.Oci.Storage;

namespace Orchestrator.Execution;

/// <summary>
/// Every blob a build may need, local or not yet: the machine's blob store, plus the registry repositories that
/// hold the blobs of base images and of cache-repo hits. A remote blob is fetched (verified) into the blob store
/// only when something reads it — a step that needs the filesystem, an output that needs the bytes, a push to
/// another registry; a push to the same registry mounts it from its repository without reading it at all.
/// </summary>
public sealed class BuildBlobs(LocalBlobStore local) : IBlobSource, IRegistryBlobOrigins
{
    private readonly ConcurrentDictionary<Digest, RegistryBlobSource> _origins = new();
    private readonly ConcurrentDictionary<Digest, Lazy<Task>> _fetches = new();

    public LocalBlobStore Local => local;

    /// <summary>Records a repository that holds <paramref name="blob"/> (the first one recorded is kept).</summary>
    public void AddOrigin(Descriptor blob, RegistryBlobSource origin) => _origins.TryAdd(blob.Digest, origin);

    public RegistryBlobSource? OriginOf(Digest digest) => _origins.GetValueOrDefault(digest);

    private bool IsLocal(Digest digest) => File.Exists(local.PathOf(digest));

    public async Task<Stream> OpenReadAsync(Descriptor blob, CancellationToken cancellationToken)
    {
        await EnsureLocalAsync(blob, cancellationToken).ConfigureAwait(false);
        return await local.OpenReadAsync(blob, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Fetches a remote blob into the blob store unless it is there already; one fetch per blob however many ask.</summary>
    public async Task EnsureLocalAsync(Descriptor blob, CancellationToken cancellationToken)
    {
        if (IsLocal(blob.Digest) || !_origins.TryGetValue(blob.Digest, out var origin)) return;
        var fetch = _fetches.GetOrAdd(blob.Digest, _ => new Lazy<Task>(() =>
            origin.Client.DownloadBlobAsync(origin.Repository, blob, (stream, ct) => local.PutAsync(blob, stream, ct), CancellationToken.None)));
        try
        {
            await fetch.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (!cancellationToken.IsCancellationRequested)
        {
            // A failed fetch may be asked for again (the next reader retries it).
            _fetches.TryRemove(new KeyValuePair<Digest, Lazy<Task>>(blob.Digest, fetch));
            throw new BlobFetchException(blob, $"{origin.Client.Registry}/{origin.Repository}", error);
        }
    }
}

/// <summary>A remote blob that could not be fetched (gone, damaged, unreachable); names the blob and where it was looked for.</summary>
public sealed class BlobFetchException(Descriptor blob, string origin, Exception inner)
    : OrchestratorException($"blob {blob.Digest} cannot be fetched from {origin}: {inner.Message}", inner)
{
    public Descriptor Blob { get; } = blob;

    public string Origin { get; } = origin;

    /// <summary>The fetch failure behind <paramref name="error"/>, however deep it was wrapped; null when there is none.</summary>
    public static BlobFetchException? Find(Exception? error)
    {
        for (; error is not null; error = error.InnerException)
            if (error is BlobFetchException found) return found;
        return null;
    }
}
