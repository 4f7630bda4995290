using Orchestrator.Layers;

namespace Orchestrator.Execution;

/// <summary>
/// Tells whether a local ADD source is a tar archive that Docker would extract, by content alone, as BuildKit's
/// <c>isArchivePath</c> (solver/llbsolver/file/unpack.go) does: a regular file whose stream, after
/// <c>archive.DecompressStream</c> (plain, gzip, bzip2, xz or zstd, told by magic bytes), starts with a tar header
/// Go's <c>tar.Reader.Next</c> accepts: a full 512-byte block, not all zeros, whose checksum matches (ustar, GNU or
/// old V7 headers alike). So a lone <c>.gz</c> or <c>.bz2</c> file is copied as is, and a tar named <c>data.bin</c>
/// is extracted.
/// </summary>
public static class ArchiveDetector
{
    private const int BlockSize = 512;

    public static bool IsArchive(string path)
    {
        try
        {
            // Only a regular file (symlinks followed, as BuildKit resolves the source inside its root first).
            var target = File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? path;
            if (Libc.LinkStatus(target) is not { } status || FileKind.Of(status) != FileKind.Regular) return false;
            using var file = File.OpenRead(path);
            var (tar, _) = LayerCompressionDetector.OpenAsync(file, CancellationToken.None).GetAwaiter().GetResult();
            using (tar)
            {
                var header = new byte[BlockSize];
                var read = 0;
                while (read < header.Length)
                {
                    var n = tar.Read(header, read, header.Length - read);
                    if (n == 0) break;
                    read += n;
                }
                return read == header.Length && IsTarHeader(header);
            }
        }
        catch (Exception error) when (error is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Go's archive/tar header check (<c>block.getFormat</c>): the octal checksum field equals the sum of the
    /// header bytes, counted unsigned or signed, with the checksum field itself read as spaces.
    /// </summary>
    private static bool IsTarHeader(ReadOnlySpan<byte> block)
    {
        if (!block.ContainsAnyExcept((byte)0)) return false; // an end-of-archive block: Go's Next returns EOF or an error
        var field = block.Slice(148, 8);
        var digits = System.Text.Encoding.ASCII.GetString(field).Trim(' ', '\0');
        if (digits.IndexOf('\0') is var nul and >= 0) digits = digits[..nul];
        long stored = 0;
        foreach (var c in digits)
        {
            if (c is < '0' or > '7') return false;
            stored = stored * 8 + (c - '0');
        }
        long unsigned = 0, signed = 0;
        for (var i = 0; i < block.Length; i++)
        {
            var b = i is >= 148 and < 156 ? (byte)' ' : block[i];
            unsigned += b;
            signed += (sbyte)b;
        }
        return stored == unsigned || stored == signed;
    }

    /// <summary>
    /// The paths an archive names (relative, no leading './' or trailing '/'), so the folders an
    /// extraction only had to create can be told from the archive's own entries.
    /// </summary>
    public static async Task<HashSet<string>> ListEntriesAsync(string path, CancellationToken cancellationToken)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        await using var file = File.OpenRead(path);
        var (tar, _) = await LayerCompressionDetector.OpenAsync(file, cancellationToken).ConfigureAwait(false);
        await using (tar.ConfigureAwait(false))
        {
            using var reader = new System.Formats.Tar.TarReader(tar);
            while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
            {
                var name = entry.Name.Replace('\\', '/');
                while (name.StartsWith("./", StringComparison.Ordinal)) name = name[2..];
                name = name.Trim('/');
                if (name.Length > 0) names.Add(name);
            }
        }
        return names;
    }
}
