namespace Orchestrator.Testing;

/// <summary>Folder the tests own for heavy, reusable fixtures (base image tarballs), kept between runs.</summary>
public static class TestCache
{
    public static string Directory
    {
        get
        {
            var root = Environment.GetEnvironmentVariable("ORCHESTRATOR_TEST_CACHE")
                ?? Path.Combine(Path.GetTempPath(), HostUser.IsMachineRoot ? "orchestrator-test-cache" : $"orchestrator-test-cache-{HostUser.Id}");
            System.IO.Directory.CreateDirectory(root);
            return root;
        }
    }
}
