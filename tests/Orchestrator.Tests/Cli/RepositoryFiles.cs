namespace Orchestrator.Tests.Cli;

/// <summary>Finds the repository's own files (examples, recipes) from the test binaries.</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "Orchestrator.sln"))) return folder.FullName;
        throw new InvalidOperationException("Orchestrator.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Copies an example and the recipe library into <paramref name="target"/>, keeping their relative layout.</summary>
    public static string CopyExample(string name, string target)
    {
        CopyTree(Path.Combine(Root, "recipes"), Path.Combine(target, "recipes"));
        var example = Path.Combine(target, "examples", name);
        CopyTree(Path.Combine(Root, "examples", name), example);
        return Path.Combine(example, "build.csx");
    }

    private static void CopyTree(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var entry in new DirectoryInfo(source).EnumerateFileSystemInfos())
        {
            if (entry.Name is "out" or "bin" or "obj") continue;
            var destination = Path.Combine(target, entry.Name);
            if (entry is DirectoryInfo) CopyTree(entry.FullName, destination);
            else File.Copy(entry.FullName, destination, overwrite: true);
        }
    }
}
