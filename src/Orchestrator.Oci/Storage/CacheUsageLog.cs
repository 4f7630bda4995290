namespace Orchestrator.Oci.Storage;

/// <summary>
/// When each item of the local cache folder was last used, for pruning the least recently used first:
/// <c>&lt;cacheDir&gt;/usage/&lt;kind&gt;/&lt;name&gt;</c>, an empty file whose modification time is the last use
/// (one <c>utimensat</c> per use). The items themselves are never touched: a blob's own times belong to its
/// integrity check, a layer folder's to the image. A layer folder's size, measured once (the folder never changes),
/// is kept as the file's content. Recording is best effort: a cache folder that cannot be written still builds.
/// </summary>
public sealed class CacheUsageLog(string cacheDirectory)
{
    public const string Blob = "blob", Layer = "layer", CacheMount = "mount";

    public string Root { get; } = Path.Combine(Path.GetFullPath(cacheDirectory), "usage");

    public string PathOf(string kind, string name) => Path.Combine(Root, kind, name);

    /// <summary>Records a use now.</summary>
    public void Touch(string kind, string name)
    {
        var path = PathOf(kind, name);
        try
        {
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow);
        }
        catch (Exception missing) when (missing is FileNotFoundException or DirectoryNotFoundException)
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                using (new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete)) { }
                File.SetLastWriteTimeUtc(path, DateTime.UtcNow);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
            }
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The last recorded use, or null when none was recorded.</summary>
    public DateTimeOffset? LastUse(string kind, string name)
    {
        var info = new FileInfo(PathOf(kind, name));
        return info.Exists ? new DateTimeOffset(info.LastWriteTimeUtc, TimeSpan.Zero) : null;
    }

    /// <summary>A size recorded with <see cref="RecordSize"/>, or null.</summary>
    public long? RecordedSize(string kind, string name)
    {
        try
        {
            return long.TryParse(File.ReadAllText(PathOf(kind, name)), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size) ? size : null;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Keeps an item's measured size next to its last use (atomically, keeping the recorded time of last use).</summary>
    public void RecordSize(string kind, string name, long size)
    {
        var path = PathOf(kind, name);
        var lastUse = File.Exists(path) ? File.GetLastWriteTimeUtc(path) : DateTime.UtcNow;
        var temp = path + $".{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(temp, size.ToString(System.Globalization.CultureInfo.InvariantCulture));
            File.SetLastWriteTimeUtc(temp, lastUse);
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Drops what is known of an item that was deleted.</summary>
    public void Forget(string kind, string name)
    {
        try
        {
            File.Delete(PathOf(kind, name));
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
        }
    }
}
