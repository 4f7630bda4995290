using System.Text;
using Orchestrator.Layers;

namespace Orchestrator.Execution;

/// <summary>
/// Tells whether a local ADD source is a tar archive (plain, gzip or zstd) that Docker would
/// extract: the decompressed stream must carry the tar magic, so a lone <c>.gz</c> file is copied as is.
/// </summary>
public static class ArchiveDetector
{
    public static bool IsArchive(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            var (tar, _) = LayerCompressionDetector.OpenAsync(file, CancellationToken.None).GetAwaiter().GetResult();
            using (tar)
            {
                var header = new byte[512];
                var read = 0;
                while (read < header.Length)
                {
                    var n = tar.Read(header, read, header.Length - read);
                    if (n == 0) break;
                    read += n;
                }
                return read == header.Length && Encoding.ASCII.GetString(header, 257, 5) == "ustar";
            }
        }
        catch (Exception error) when (error is IOException or InvalidDataException)
        {
            return false;
        }
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
