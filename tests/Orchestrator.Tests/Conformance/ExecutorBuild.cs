using Orchestrator.Cli;

namespace Orchestrator.Tests.Conformance;

/// <summary>One build of a context's Dockerfile by our Kaniko-compatible executor, through the real CLI, into an OCI layout (tag <c>latest</c>).</summary>
internal static class ExecutorBuild
{
    /// <summary>Writes a build context: the Dockerfile and the given files (relative paths, folders made as needed); returns its folder.</summary>
    public static string WriteContext(string folder, string dockerfile, params IEnumerable<(string Path, string Content)> files)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "Dockerfile"), dockerfile);
        foreach (var (path, content) in files)
        {
            var full = Path.Combine(folder, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }
        return folder;
    }

    /// <summary>Builds and asserts success (the output is in the failure message); returns what the build printed on stdout.</summary>
    public static async Task<string> ToLayoutAsync(string context, string layout, string cache, params IEnumerable<string> arguments)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync(["executor", "-f", "Dockerfile", "-c", context, "--no-push", "--oci-layout-path", layout, "--cache-dir", cache, .. arguments], stdout, stderr);
        Assert.True(code == ExitCodes.Ok, $"our build failed ({code}):\nstdout:\n{stdout}\nstderr:\n{stderr}");
        return stdout.ToString();
    }
}
