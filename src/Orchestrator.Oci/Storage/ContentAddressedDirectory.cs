using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Registry;

namespace Orchestrator.Oci.Storage;

/// <summary>
/// The shared mechanics of <c>blobs/sha256/&lt;hex&gt;</c> folders: write to a unique temporary file
/// on the same file system, hash while writing, rename into place only when the digest is right.
/// A rename is atomic, so readers never see half a blob, and when two processes write the same blob
/// the second rename simply finds it there; both wrote identical bytes.
/// </summary>
internal sealed class ContentAddressedDirectory
{
    private const int BufferSize = 1024 * 1024;
    private readonly string _blobs;
    private readonly string _temp;

    public ContentAddressedDirectory(string blobsDirectory, string tempDirectory)
    {
        _blobs = blobsDirectory;
        _temp = tempDirectory;
        Directory.CreateDirectory(Path.Combine(_blobs, "sha256"));
        Directory.CreateDirectory(_temp);
    }

    public string PathOf(Digest digest) => Path.Combine(_blobs, digest.Algorithm, digest.Hex);

    public bool Contains(Digest digest) => File.Exists(PathOf(digest));

    public Stream OpenRead(Descriptor blob, string source)
    {
        var path = PathOf(blob.Digest);
        if (!File.Exists(path)) throw new OrchestratorException($"{source} has no blob {blob.Digest}");
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, BufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return new VerifyingReadStream(file, blob.Digest, blob.Size, source);
    }

    public async Task<(Digest Digest, long Size)> WriteAsync(Stream content, Descriptor? expected, string source, CancellationToken cancellationToken)
    {
        if (expected is not null && Contains(expected.Digest))
        {
            // Drain nothing: the caller's stream is theirs; the blob is already here.
            return (expected.Digest, expected.Size);
        }
        // Content that verifies itself (a registry download) needs no second SHA-256 pass here.
        if (expected is not null && content is VerifyingReadStream verifying && verifying.Expected == expected.Digest && verifying.ExpectedSize == expected.Size)
            return await WriteVerifiedAsync(verifying, expected, cancellationToken).ConfigureAwait(false);

        var temp = Path.Combine(_temp, $"{Guid.NewGuid():N}.tmp");
        try
        {
            Digest digest;
            long size;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, FileOptions.Asynchronous))
            await using (var hashing = new DigestingStream(file, leaveOpen: true))
            {
                await content.CopyToAsync(hashing, BufferSize, cancellationToken).ConfigureAwait(false);
                digest = hashing.GetDigest();
                size = hashing.BytesProcessed;
            }
            if (expected is not null && (digest != expected.Digest || size != expected.Size))
                throw new OrchestratorException($"{source}: content for blob {expected.Digest} ({expected.Size} bytes) hashed to {digest} ({size} bytes); not stored");
            Publish(temp, digest);
            return (digest, size);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private async Task<(Digest Digest, long Size)> WriteVerifiedAsync(VerifyingReadStream content, Descriptor expected, CancellationToken cancellationToken)
    {
        var temp = Path.Combine(_temp, $"{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, FileOptions.Asynchronous))
            {
                // The stream throws at its end if size or digest are wrong, before anything is published.
                await content.CopyToAsync(file, BufferSize, cancellationToken).ConfigureAwait(false);
            }
            Publish(temp, expected.Digest);
            return (expected.Digest, expected.Size);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private void Publish(string temp, Digest digest)
    {
        var final = PathOf(digest);
        try
        {
            File.Move(temp, final, overwrite: false);
        }
        catch (IOException) when (File.Exists(final))
        {
            // Another writer got there first with the same content.
        }
    }
}
