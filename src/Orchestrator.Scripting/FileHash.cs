using System.Security.Cryptography;
using Orchestrator.Oci;

namespace Orchestrator.Scripting;

/// <summary>SHA-256 of a file's content, as the <c>sha256:&lt;hex&gt;</c> text the cache manifest stores.</summary>
internal static class FileHash
{
    public static string Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Digest.FromHash(SHA256.HashData(stream)).ToString();
    }

    public static async Task<string> OfAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return (await Digest.Sha256Async(stream, cancellationToken).ConfigureAwait(false)).ToString();
    }
}
