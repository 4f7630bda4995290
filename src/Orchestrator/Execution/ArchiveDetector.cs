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
}
