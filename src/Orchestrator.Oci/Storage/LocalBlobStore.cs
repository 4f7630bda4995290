using Orchestrator.Oci.Documents;

namespace Orchestrator.Oci.Storage;

/// <summary>
/// The machine's content-addressed blob cache, <c>$XDG_CACHE_HOME/orchestrator</c> (or a given
/// folder): <c>blobs/sha256/&lt;hex&gt;</c>, atomic writes, digest checked on every read, safe for
/// several processes at once.
/// </summary>
public sealed class LocalBlobStore : IBlobStore
{
    private readonly ContentAddressedDirectory _directory;

    public LocalBlobStore(string root)
    {
        Root = Path.GetFullPath(root);
        _directory = new ContentAddressedDirectory(Path.Combine(Root, "blobs"), Path.Combine(Root, "tmp"));
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

    public Task<bool> ContainsAsync(Digest digest, CancellationToken cancellationToken) => Task.FromResult(_directory.Contains(digest));

    public Task<Stream> OpenReadAsync(Descriptor blob, CancellationToken cancellationToken) =>
        Task.FromResult(_directory.OpenRead(blob, $"blob store {Root}"));

    public Task PutAsync(Descriptor blob, Stream content, CancellationToken cancellationToken) =>
        _directory.WriteAsync(content, blob, $"blob store {Root}", cancellationToken);

    public Task<(Digest Digest, long Size)> AddAsync(Stream content, CancellationToken cancellationToken) =>
        _directory.WriteAsync(content, null, $"blob store {Root}", cancellationToken);
}
