namespace Orchestrator.Testing;

/// <summary>
/// Deletes a test's temporary tree. Rootless buildah leaves files owned by subordinate uids in its
/// storage, which the test's own user cannot remove; those are removed inside buildah's user
/// namespace, where they belong to the mapped root.
/// </summary>
public static class TreeDeleter
{
    public static void Delete(string path)
    {
        if (!Directory.Exists(path)) return;
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception error) when (error is UnauthorizedAccessException or IOException && Environment.UserName != "root")
        {
            var result = ExternalTool.RunAsync("buildah", "unshare", "rm", "-rf", path).GetAwaiter().GetResult();
            result.EnsureSuccess();
        }
    }
}
