namespace Orchestrator.Execution.Local;

/// <summary>
/// The absolute path of a system program the sandboxes run on the host (<c>unshare</c>, <c>setpriv</c>, <c>env</c>).
/// Looked up in the system folders only: a bare name would make .NET look in the current folder first, so a
/// file named <c>env</c> or <c>unshare</c> where the build starts would run instead.
/// </summary>
public static class HostTool
{
    private static readonly string[] SystemFolders = ["/usr/bin", "/bin", "/usr/sbin", "/sbin"];

    /// <exception cref="OrchestratorException">The program is not installed.</exception>
    public static string Find(string name, string package = "util-linux") =>
        TryFind(name) ?? throw new OrchestratorException($"'{name}' ({package}) was not found in {string.Join(", ", SystemFolders)}; install {package}.");

    public static string? TryFind(string name) =>
        SystemFolders.Select(folder => Path.Combine(folder, name)).FirstOrDefault(File.Exists);
}
