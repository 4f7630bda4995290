using System.Text;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Registry;
using Orchestrator.Oci.Storage;

namespace Orchestrator.Oci.Layout;

/// <summary>
/// An OCI image layout folder: <c>oci-layout</c>, <c>index.json</c> naming manifests with
/// <c>org.opencontainers.image.ref.name</c>, and <c>blobs/sha256/</c>. Readable by skopeo
/// (<c>oci:path:ref</c>) and umoci.
/// </summary>
public sealed class OciLayout : IBlobStore
{
    private const string LayoutFile = "oci-layout";
    private const string IndexFile = "index.json";
    private static readonly byte[] LayoutContent = Encoding.UTF8.GetBytes("{\"imageLayoutVersion\":\"1.0.0\"}");

    private const int ReadBufferSize = 1024 * 1024;

    // Made on the first write only: reading a layout (a build's base) must not add folders to it.
    private readonly Lazy<ContentAddressedDirectory> _blobs;
    private readonly SemaphoreSlim _indexLock = new(1, 1);

    private OciLayout(string root)
    {
        Root = root;
        _blobs = new Lazy<ContentAddressedDirectory>(() => new ContentAddressedDirectory(Path.Combine(root, "blobs"), Path.Combine(root, ".tmp")));
    }

    public string Root { get; }

    /// <summary>Opens a layout, creating an empty one when the folder is empty or missing.</summary>
    public static OciLayout OpenOrCreate(string path)
    {
        var root = Path.GetFullPath(path);
        Directory.CreateDirectory(root);
        var layoutPath = Path.Combine(root, LayoutFile);
        if (!File.Exists(layoutPath))
        {
            if (Directory.EnumerateFileSystemEntries(root).Any())
                throw new OrchestratorException($"'{root}' is not empty and has no oci-layout file; choose an empty or new folder for the OCI layout");
            Directory.CreateDirectory(Path.Combine(root, "blobs", "sha256"));
            File.WriteAllBytes(layoutPath, LayoutContent);
            File.WriteAllBytes(Path.Combine(root, IndexFile), CanonicalJson.Serialize(new ImageIndex(MediaTypes.OciIndex, [])));
        }
        return Open(root);
    }

    /// <summary>Opens an existing layout; throws naming the folder when it is not one.</summary>
    public static OciLayout Open(string path)
    {
        var root = Path.GetFullPath(path);
        var layoutPath = Path.Combine(root, LayoutFile);
        if (!Directory.Exists(root))
            throw new OrchestratorException($"OCI layout '{root}' does not exist; write the image there first (e.g. `skopeo copy docker://IMAGE oci:{root}:TAG`, or an image's .Output(\"{root}\"))");
        if (!File.Exists(layoutPath))
            throw new OrchestratorException($"'{root}' is not an OCI image layout (no oci-layout file); point at the folder that holds oci-layout and index.json");
        var version = CanonicalJson.Deserialize<Dictionary<string, string>>(File.ReadAllBytes(layoutPath), $"{layoutPath}");
        if (!version.TryGetValue("imageLayoutVersion", out var v) || !v.StartsWith("1.", StringComparison.Ordinal))
            throw new OrchestratorException($"'{layoutPath}' has imageLayoutVersion '{v}'; only 1.x layouts are supported");
        return new OciLayout(root);
    }

    public string BlobPath(Digest digest) => Path.Combine(Root, "blobs", digest.Algorithm, digest.Hex);

    public async Task<ImageIndex> ReadIndexAsync(CancellationToken cancellationToken = default)
    {
        var path = Path.Combine(Root, IndexFile);
        if (!File.Exists(path)) return new ImageIndex(MediaTypes.OciIndex, []);
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        var index = CanonicalJson.Deserialize<ImageIndex>(bytes, path);
        return index with { MediaType = index.MediaType ?? MediaTypes.OciIndex, Manifests = index.Manifests ?? [] };
    }

    /// <summary>
    /// The manifest named <paramref name="refName"/> in index.json; with no name, the only manifest.
    /// Throws listing the names that exist.
    /// </summary>
    public async Task<Descriptor> FindAsync(string? refName, CancellationToken cancellationToken = default)
    {
        var index = await ReadIndexAsync(cancellationToken).ConfigureAwait(false);
        if (refName is null && index.Manifests.Count == 1) return index.Manifests[0];
        var match = refName is null ? null : index.Manifests.LastOrDefault(m => m.Annotation(AnnotationKeys.RefName) == refName);
        if (match is not null) return match;
        var names = index.Manifests.Select(m => m.Annotation(AnnotationKeys.RefName)).OfType<string>().Distinct().ToList();
        var offered = names.Count == 0 ? "none" : string.Join(", ", names);
        if (index.Manifests.Count == 0)
            throw new OrchestratorException($"OCI layout '{Root}' holds no image (index.json lists no manifest); write one into it first");
        throw new OrchestratorException(refName is null
            ? $"OCI layout '{Root}' holds {index.Manifests.Count} manifests, so it needs a tag; its tags are: {offered} (name one, e.g. oci:{Root}:{names.FirstOrDefault() ?? "TAG"})"
            : $"OCI layout '{Root}' has no image named '{refName}'; its tags are: {offered}");
    }

    public async Task<ManifestDocument> ReadManifestAsync(Descriptor descriptor, CancellationToken cancellationToken = default)
    {
        await using var stream = await OpenReadAsync(descriptor, cancellationToken).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        return ManifestDocument.FromBytes(buffer.ToArray(), descriptor.MediaType, $"OCI layout '{Root}'");
    }

    /// <summary>
    /// Stores the manifest blob and lists it in index.json under <paramref name="refName"/>,
    /// replacing an entry of the same name. The blobs it points at must be stored first.
    /// </summary>
    public async Task<Descriptor> AddManifestAsync(ManifestDocument manifest, string? refName, Platform? platform = null, CancellationToken cancellationToken = default)
    {
        using (var content = new MemoryStream(manifest.Content, writable: false))
            await PutAsync(manifest.Descriptor, content, cancellationToken).ConfigureAwait(false);
        var entry = manifest.Descriptor with { Platform = platform };
        if (refName is not null) entry = entry.WithAnnotation(AnnotationKeys.RefName, refName);

        await _indexLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var index = await ReadIndexAsync(cancellationToken).ConfigureAwait(false);
            var kept = index.Manifests.Where(m => refName is null ? m.Digest != manifest.Digest : m.Annotation(AnnotationKeys.RefName) != refName);
            var updated = index with { Manifests = [.. kept, entry] };
            var path = Path.Combine(Root, IndexFile);
            var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            await File.WriteAllBytesAsync(temp, CanonicalJson.Serialize(updated), cancellationToken).ConfigureAwait(false);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            _indexLock.Release();
        }
        return entry;
    }

    public Task<bool> ContainsAsync(Digest digest, CancellationToken cancellationToken) => Task.FromResult(File.Exists(BlobPath(digest)));

    /// <summary>Opens a blob; the stream checks size and digest as it ends. A missing blob throws naming the layout.</summary>
    public Task<Stream> OpenReadAsync(Descriptor blob, CancellationToken cancellationToken)
    {
        var path = BlobPath(blob.Digest);
        if (!File.Exists(path))
            throw new OrchestratorException($"OCI layout '{Root}' has no blob {blob.Digest} ({blob.MediaType}); the layout is incomplete");
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, ReadBufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return Task.FromResult<Stream>(new VerifyingReadStream(file, blob.Digest, blob.Size, $"OCI layout '{Root}'"));
    }

    public Task PutAsync(Descriptor blob, Stream content, CancellationToken cancellationToken) =>
        _blobs.Value.WriteAsync(content, blob, $"OCI layout '{Root}'", cancellationToken);

    public Task<(Digest Digest, long Size)> AddAsync(Stream content, CancellationToken cancellationToken) =>
        _blobs.Value.WriteAsync(content, null, $"OCI layout '{Root}'", cancellationToken);
}
