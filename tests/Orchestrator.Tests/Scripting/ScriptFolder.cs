using System.Text;

namespace Orchestrator.Tests.Scripting;

/// <summary>A temporary folder holding build scripts (and a script cache) for one test; deleted afterwards.</summary>
internal sealed class ScriptFolder : IDisposable
{
    public ScriptFolder()
    {
        Root = Path.Combine(Path.GetTempPath(), "orchestrator-scripting-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string CacheDirectory => Path.Combine(Root, ".cache");

    /// <summary>Writes <paramref name="text"/> (lines joined with \n) to a file under the folder and returns its full path.</summary>
    public string Write(string relativePath, string text)
    {
        var path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text.ReplaceLineEndings("\n"), new UTF8Encoding(false));
        return path;
    }

    public string PathOf(string relativePath) => Path.Combine(Root, relativePath);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}
