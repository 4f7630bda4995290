using System.Runtime.Versioning;

namespace Orchestrator.Tests.Conformance;

/// <summary>Folder chores of the suite: copying a case's context, deleting trees that builds made read-only.</summary>
[SupportedOSPlatform("linux")]
internal static class ConformanceFolders
{
    /// <summary>Copies a folder, keeping symlinks as symlinks and the files' modes.</summary>
    public static void Copy(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var entry in new DirectoryInfo(source).EnumerateFileSystemInfos())
        {
            var destination = Path.Combine(target, entry.Name);
            if (entry.LinkTarget is { } link) File.CreateSymbolicLink(destination, link);
            else if (entry is DirectoryInfo) Copy(entry.FullName, destination);
            else
            {
                File.Copy(entry.FullName, destination);
                File.SetUnixFileMode(destination, File.GetUnixFileMode(entry.FullName));
            }
        }
    }

    /// <summary>Deletes a tree even where an image made folders without write permission (umoci rootless keeps modes).</summary>
    public static void Delete(string folder)
    {
        if (!Directory.Exists(folder)) return;
        foreach (var directory in new DirectoryInfo(folder).EnumerateDirectories("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = false }))
        {
            try { File.SetUnixFileMode(directory.FullName, (UnixFileMode)0x1C0 | File.GetUnixFileMode(directory.FullName)); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        try { Directory.Delete(folder, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
