using Orchestrator.Oci.Documents;

namespace Orchestrator.Oci.Storage;

/// <summary>
/// The machine's content-addressed blob cache, <c>$XDG_CACHE_HOME/orchestrator</c> (or a given
/// folder): <c>blobs/sha256/&lt;hex&gt;</c>, atomic writes, digest checked on every read, safe for
/// several processes at once. Every read, write and found lookup records a use in the <see cref="CacheUsageLog"/>,
/// so pruning removes the least recently used blobs first.
/// </summary>
public sealed class LocalBlobStore : IBlobStore
{
    private readonly ContentAddressedDirectory _directory;
    private readonly CacheUsageLog _usage;

    public LocalBlobStore(string root)
    {
        Root = Path.GetFullPath(root);
        _directory = new ContentAddressedDirectory(Path.Combine(Root, "blobs"), Path.Combine(Root, "tmp"));
        _usage = new CacheUsageLog(Root);
    }

    public string Root { get; }

    /// <summary><c>$XDG_CACHE_HOME/orchestrator</c>, or <c>~/.cache/orchestrator</c>, unless <paramref name="cacheDirectory"/> is given.</summary>
    public static LocalBlobStore Open(string? cacheDirectory = null) => new(cacheDirectory ?? DefaultRoot);

    public static string DefaultRoot
    {
        get
        {
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var cache = string.IsNullOrEmpty(xdg)
                ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache")
                : xdg;
            return Path.Combine(cache, "orchestrator");
        }
    }

    /// <summary>Where a blob lives on disk (it may not exist yet).</summary>
    public string PathOf(Digest digest) => _directory.PathOf(digest);

    public Task<bool> ContainsAsync(Digest digest, CancellationToken cancellationToken)
    {
        var found = _directory.Contains(digest);
        if (found) Used(digest);
        return Task.FromResult(found);
    }

    public Task<Stream> OpenReadAsync(Descriptor blob, CancellationToken cancellationToken)
    {
        var stream = _directory.OpenRead(blob, $"blob store {Root}");
        Used(blob.Digest);
        return Task.FromResult(stream);
    }

    public async Task PutAsync(Descriptor blob, Stream content, CancellationToken cancellationToken)
    {
        await _directory.WriteAsync(content, blob, $"blob store {Root}", cancellationToken).ConfigureAwait(false);
        Used(blob.Digest);
    }

    public async Task<(Digest Digest, long Size)> AddAsync(Stream content, CancellationToken cancellationToken)
    {
        var added = await _directory.WriteAsync(content, null, $"blob store {Root}", cancellationToken).ConfigureAwait(false);
        Used(added.Digest);
        return added;
    }

    private void Used(Digest digest) => _usage.Touch(CacheUsageLog.Blob, digest.Hex);
}
