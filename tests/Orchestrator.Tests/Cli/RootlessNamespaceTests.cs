using Orchestrator.Testing;

namespace Orchestrator.Tests.Cli;

/// <summary>
/// The CLI as a non-root user, for real: a copy of the built CLI that any user can read, started through
/// <c>setpriv</c> (the machine's root may become any user; root of the test namespace may become any of its ids).
/// </summary>
public sealed class RootlessNamespaceTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "orchestrator-rootless-" + Guid.NewGuid().ToString("N"));
    private readonly string _cli;

    public RootlessNamespaceTests()
    {
        _cli = Path.Combine(_folder, "cli");
        Directory.CreateDirectory(_cli);
        foreach (var file in Directory.EnumerateFiles(AppContext.BaseDirectory))
            if (file.EndsWith(".dll", StringComparison.Ordinal) || Path.GetFileName(file).StartsWith("dotnet-orchestrate.", StringComparison.Ordinal))
                File.Copy(file, Path.Combine(_cli, Path.GetFileName(file)));
        File.Copy(Path.Combine(RepositoryFiles.Root, "recipes", "busybox.csx"), Path.Combine(_folder, "busybox.csx"));
        foreach (var path in Directory.EnumerateFileSystemEntries(_folder, "*", SearchOption.AllDirectories).Append(_folder))
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.OtherRead | UnixFileMode.OtherExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
    }

    public void Dispose() => TreeDeleter.Delete(_folder);

    /// <summary>Runs the CLI as uid:gid with a private HOME and cache, outside any namespace the test host is in.</summary>
    private async Task<ToolResult> RunCliAs(uint uid, uint gid, string home, params string[] args)
    {
        Directory.CreateDirectory(home);
        await ExternalTool.RunAsync("chown", ["-R", $"{uid}:{gid}", home]);
        return await ExternalTool.RunAsync("setpriv",
            [$"--reuid={uid}", $"--regid={gid}", "--clear-groups", "--",
             "env", "-u", "ORCHESTRATOR_USERNS", "-u", "_CONTAINERS_USERNS_CONFIGURED", "-u", "_CONTAINERS_ROOTLESS_UID",
             $"HOME={home}", $"XDG_CACHE_HOME={home}/.cache", "DOTNET_CLI_HOME=" + home,
             "dotnet", Path.Combine(_cli, "dotnet-orchestrate.dll"), .. args],
            TimeSpan.FromMinutes(3), workingDirectory: home);
    }

    [Fact]
    public async Task Without_subordinate_ids_a_command_runs_as_the_user_itself_with_a_note()
    {
        // nobody has no subordinate range anywhere; it exists as a mapped id in the test namespace too.
        var result = await RunCliAs(65534, 65534, Path.Combine(_folder, "nobody"), "unshare", "--", "id", "-u");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("65534", result.StandardOutput.Trim());
        Assert.Contains("no user namespace was entered", result.StandardError);
    }

    [Fact]
    public async Task A_user_with_subordinate_ids_builds_as_root_of_a_namespace_that_maps_them()
    {
        if (!HostUser.IsMachineRoot)
        {
            // This test host already runs in that namespace (tests/test-host); the CLI started from it does not enter another.
            var inside = await ExternalTool.RunAsync("dotnet", [Path.Combine(_cli, "dotnet-orchestrate.dll"), "unshare", "--", "cat", "/proc/self/uid_map"]);
            Assert.Equal(Normalize(await File.ReadAllTextAsync("/proc/self/uid_map")), Normalize(inside.StandardOutput));
            return;
        }
        var user = await SubordinateIdUser.FindOrCreateAsync();
        Assert.True(user is not null, "no user with ranges in /etc/subuid and /etc/subgid could be found or made (useradd and usermod from the passwd package)");
        var home = Path.Combine(_folder, user.Name);

        var map = await RunCliAs(user.Uid, user.Gid, home, "unshare", "--", "cat", "/proc/self/uid_map");
        Assert.Equal($"0 {user.Uid} 1\n1 {user.FirstSubordinateId} {user.Count - 1}", Normalize(map.StandardOutput));

        // A step as USER 1000 (no passwd entry: group 0, as in Docker) writes into a folder it owns, which an
        // unprivileged build without the range refuses.
        await File.WriteAllTextAsync(Path.Combine(home, "build.csx"), """
            #load "../busybox.csx"
            Image("users").From(BusyboxBase())
                .Run("mkdir -p /home/app && chown 1000:1000 /home/app")
                .User("1000")
                .Run("echo uid=$(id -u) > /home/app/id.txt && cat /home/app/id.txt && stat -c %u:%g /home/app/id.txt")
                .Output("out/users");
            """);
        var build = await RunCliAs(user.Uid, user.Gid, home, "build.csx", "--progress", "plain");
        Assert.True(build.ExitCode == 0, build.StandardOutput + build.StandardError);
        Assert.True(build.StandardOutput.Contains("[users] uid=1000", StringComparison.Ordinal), build.StandardOutput);
        Assert.True(build.StandardOutput.Contains("[users] 1000:0", StringComparison.Ordinal), build.StandardOutput);
        var index = Path.Combine(home, "out", "users", "index.json");
        // Outputs belong to the user, not to one of its subordinate ids.
        Assert.Equal(user.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture), (await ExternalTool.RunAsync("stat", ["-c", "%u", index])).StandardOutput.Trim());
    }

    private static string Normalize(string map) =>
        string.Join('\n', map.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))));
}
