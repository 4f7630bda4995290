using Orchestrator.Testing;

namespace Orchestrator.Tests.Cake;

/// <summary>
/// Runs the real Cake runner (cake.tool from the repository's tool manifest) in a folder the test owns. Every
/// dotnet it starts gets that folder's TMPDIR: under CI the test host is root of a user namespace, where NuGet's
/// scratch folder under /tmp (made by the machine's root) cannot be written.
/// </summary>
internal sealed class CakeRunner(string folder)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    /// <summary>Copies the repository's tool manifest into the folder and restores it (cake.tool 7.0.0).</summary>
    public async Task RestoreAsync()
    {
        var manifest = Path.Combine(folder, ".config", "dotnet-tools.json");
        Directory.CreateDirectory(Path.GetDirectoryName(manifest)!);
        File.Copy(Path.Combine(Cli.RepositoryFiles.Root, ".config", "dotnet-tools.json"), manifest, overwrite: true);
        (await DotnetAsync("tool", "restore")).EnsureSuccess();
    }

    /// <summary><c>dotnet cake SCRIPT ARGS...</c>, from the folder (so the manifest there is the one used).</summary>
    public Task<ToolResult> CakeAsync(string script, params string[] arguments) => DotnetAsync(["cake", script, .. arguments]);

    /// <summary><c>dotnet cake</c> with more environment variables.</summary>
    public Task<ToolResult> CakeAsync(IReadOnlyDictionary<string, string> environment, string script, params string[] arguments) =>
        DotnetAsync(["cake", script, .. arguments], environment);

    private Task<ToolResult> DotnetAsync(params string[] arguments) => DotnetAsync(arguments, new Dictionary<string, string>());

    private Task<ToolResult> DotnetAsync(string[] arguments, IReadOnlyDictionary<string, string> more)
    {
        var temp = Path.Combine(folder, "tmp");
        Directory.CreateDirectory(temp);
        var environment = new Dictionary<string, string>
        {
            ["TMPDIR"] = temp,
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["NO_COLOR"] = "1",
        };
        foreach (var (name, value) in more) environment[name] = value;
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        return ExternalTool.RunAsync(dotnet, arguments, Timeout, workingDirectory: folder, environment: environment);
    }
}
