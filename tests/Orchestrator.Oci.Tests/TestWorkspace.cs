namespace Orchestrator.Oci.Tests;

/// <summary>A temporary folder for one test, deleted afterwards.</summary>
public sealed class TestWorkspace : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("orchestrator-oci-test-").FullName;

    public string this[string name] => Path.Combine(Root, name);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
