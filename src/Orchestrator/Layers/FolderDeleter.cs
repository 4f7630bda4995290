namespace Orchestrator.Layers;

/// <summary>
/// Removes a folder tree even when it holds directories without write or search permission
/// (read-only layers, overlay's mode-000 work folder), which <see cref="Directory.Delete(string, bool)"/>
/// cannot do as an unprivileged user. Symlinks are removed, never followed.
/// </summary>
public static class FolderDeleter
{
    public static void Delete(string path)
    {
        var status = Libc.LinkStatus(path);
        if (status is null) return;
        if (!FileKind.IsDirectory(status.Value))
        {
            File.Delete(path);
            return;
        }
        Libc.Chmod(path, 0x1C0); // u+rwx, so its entries can be listed and removed
        foreach (var child in Directory.EnumerateFileSystemEntries(path))
            Delete(child);
        Directory.Delete(path);
    }
}
