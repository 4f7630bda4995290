using Orchestrator.Layers;
using Orchestrator.Oci.Storage;

namespace Orchestrator.Caching;

/// <summary>
/// What the local cache folder holds, item by item, with sizes and last uses (for <c>cache du</c> and pruning).
/// Sizes are apparent sizes (the bytes of the files); a file hard-linked into two layer folders counts in both.
/// A layer folder never changes once stored, so its size is measured once and kept in the
/// <see cref="CacheUsageLog"/>; cache mounts change with every RUN that uses them and are measured every time.
/// The last use of a blob, layer folder or cache mount is its record in the usage log (made when it was stored and
/// set at every use), else its own time;
/// an index entry's is its modification time (a hit sets it).
/// </summary>
public sealed class LocalCacheInventory
{
    private LocalCacheInventory(string cacheDirectory, IReadOnlyList<LocalCacheItem> items)
    {
        CacheDirectory = cacheDirectory;
        Items = items;
    }

    public string CacheDirectory { get; }

    public IReadOnlyList<LocalCacheItem> Items { get; }

    public long TotalSize => Items.Sum(i => i.Size);

    /// <summary>Count and bytes of each kind present, in the enum's order.</summary>
    public IReadOnlyList<(LocalCacheItemKind Kind, int Count, long Size)> ByKind() =>
        Items.GroupBy(i => i.Kind).OrderBy(g => g.Key).Select(g => (g.Key, g.Count(), g.Sum(i => i.Size))).ToList();

    public static LocalCacheInventory Read(string cacheDirectory)
    {
        var root = Path.GetFullPath(cacheDirectory);
        var usage = new CacheUsageLog(root);
        var items = new List<LocalCacheItem>();
        if (!Directory.Exists(root)) return new LocalCacheInventory(root, items);

        foreach (var file in Files(Path.Combine(root, "blobs", "sha256")))
        {
            var name = Path.GetFileName(file.FullName);
            items.Add(new(LocalCacheItemKind.Blob, name, file.FullName, file.Length, LastUseOf(usage.LastUse(CacheUsageLog.Blob, name), file.LastWriteTimeUtc)));
        }
        foreach (var folder in Folders(Path.Combine(root, "layers", "sha256")))
        {
            var name = folder.Name;
            var size = usage.RecordedSize(CacheUsageLog.Layer, name);
            if (size is null)
            {
                size = SizeOf(folder.FullName);
                usage.RecordSize(CacheUsageLog.Layer, name, size.Value);
            }
            items.Add(new(LocalCacheItemKind.LayerFolder, name, folder.FullName, size.Value, LastUseOf(usage.LastUse(CacheUsageLog.Layer, name), ChangeTime(folder.FullName))));
        }
        foreach (var file in Files(LocalCacheIndex.FolderOf(root)))
            items.Add(new(LocalCacheItemKind.IndexEntry, Path.GetFileNameWithoutExtension(file.Name), file.FullName, file.Length, Utc(file.LastWriteTimeUtc)));
        foreach (var folder in Folders(Path.Combine(root, "cache-mounts")))
            items.Add(new(LocalCacheItemKind.CacheMount, folder.Name, folder.FullName, SizeOf(folder.FullName), LastUseOf(usage.LastUse(CacheUsageLog.CacheMount, folder.Name), folder.LastWriteTimeUtc)));
        foreach (var file in Files(Path.Combine(root, "hash-memo")))
            items.Add(new(file.Name.Contains(".tmp-", StringComparison.Ordinal) ? LocalCacheItemKind.Temporary : LocalCacheItemKind.HashMemo, file.Name, file.FullName, file.Length, Utc(file.LastWriteTimeUtc)));
        foreach (var folder in Folders(Path.Combine(root, "scripts")))
            items.Add(new(LocalCacheItemKind.ScriptCache, folder.Name, folder.FullName, SizeOf(folder.FullName), Utc(folder.LastWriteTimeUtc)));
        foreach (var kind in Folders(usage.Root))
            foreach (var file in Files(kind.FullName))
                items.Add(new(file.Name.EndsWith(".tmp", StringComparison.Ordinal) ? LocalCacheItemKind.Temporary : LocalCacheItemKind.UsageRecord, kind.Name + "/" + file.Name, file.FullName, file.Length, Utc(file.LastWriteTimeUtc)));
        foreach (var temp in new[] { Path.Combine(root, "tmp"), Path.Combine(root, "layers", "tmp"), Path.Combine(root, "cache-index", "tmp") })
            foreach (var entry in Entries(temp))
                items.Add(new(LocalCacheItemKind.Temporary, Path.GetRelativePath(root, entry.FullName), entry.FullName, SizeOf(entry.FullName), Utc(entry.LastWriteTimeUtc)));
        foreach (var entry in Entries(root))
            if (entry.Name is not ("blobs" or "layers" or "cache-index" or "cache-mounts" or "hash-memo" or "scripts" or "usage" or "tmp" or CacheDirectoryLock.FileName))
                items.Add(new(LocalCacheItemKind.Other, entry.Name, entry.FullName, SizeOf(entry.FullName), Utc(entry.LastWriteTimeUtc)));
        return new LocalCacheInventory(root, items);
    }

    /// <summary>The bytes of the files under a path (symlinks count their own length); unreadable parts count as nothing.</summary>
    internal static long SizeOf(string path)
    {
        if (Libc.LinkStatus(path) is not { } status) return 0;
        if (!FileKind.IsDirectory(status)) return (long)status.Size;
        long total = 0;
        IEnumerable<string> children;
        try
        {
            children = Directory.EnumerateFileSystemEntries(path).ToList();
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
        foreach (var child in children) total += SizeOf(child);
        return total;
    }

    /// <summary>A folder's ctime: when it was stored (its mtime is the image's, often pinned to the epoch).</summary>
    private static DateTime ChangeTime(string path) =>
        Libc.LinkStatus(path) is { } status ? DateTime.UnixEpoch.AddSeconds(status.ChangeTime.Seconds) : DateTime.UnixEpoch;

    private static DateTimeOffset LastUseOf(DateTimeOffset? recorded, DateTime own) => recorded ?? Utc(own);

    private static DateTimeOffset Utc(DateTime time) => new(DateTime.SpecifyKind(time, DateTimeKind.Utc), TimeSpan.Zero);

    private static IEnumerable<FileInfo> Files(string folder) => Entries(folder).OfType<FileInfo>();

    private static IEnumerable<DirectoryInfo> Folders(string folder) => Entries(folder).OfType<DirectoryInfo>();

    private static List<FileSystemInfo> Entries(string folder)
    {
        try
        {
            return Directory.Exists(folder) ? new DirectoryInfo(folder).EnumerateFileSystemInfos().ToList() : [];
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
