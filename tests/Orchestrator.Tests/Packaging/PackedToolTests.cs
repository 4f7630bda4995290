using System.IO.Compression;
using System.Xml.Linq;
using Orchestrator.Testing;
using Orchestrator.Tests.Cli;

namespace Orchestrator.Tests.Packaging;

/// <summary>
/// The tool as users get it: <c>dotnet pack</c> of the CLI (ReadyToRun for this machine's platform), installed offline
/// into a new tool manifest with only the packed folder as a source, then <c>dotnet orchestrate --version</c> and a plan.
/// Everything it writes (build outputs, packages, NuGet's temporary files) stays in a folder of its own.
/// </summary>
public sealed class PackedToolTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orchestrator-pack-").FullName;

    /// <summary>A version of this run's own: NuGet keeps installed packages by id and version, so no earlier pack's tool is taken for this one.</summary>
    private readonly string _version = "0.1.0-test." + Guid.NewGuid().ToString("N")[..12];

    public void Dispose()
    {
        TreeDeleter.Delete(_folder);
        // The installed packages of this run's version, from the user's package folder (nothing else is touched there).
        var packageFolder = System.Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } given
            ? given : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var id in Directory.Exists(packageFolder) ? Directory.GetDirectories(packageFolder, "orchestrator.cli*") : [])
            if (Directory.Exists(Path.Combine(id, _version))) TreeDeleter.Delete(Path.Combine(id, _version));
    }

    private Dictionary<string, string> Environment() => new()
    {
        ["TMPDIR"] = Directory.CreateDirectory(Path.Combine(_folder, "tmp")).FullName,
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
    };

    private async Task<ToolResult> DotnetAsync(string workingDirectory, params string[] arguments) =>
        await ExternalTool.RunAsync("dotnet", arguments, TimeSpan.FromMinutes(15), workingDirectory, environment: Environment());

    /// <summary>
    /// The sources a pack needs, without any build output: the platform builds inside a tool pack write to the projects'
    /// own obj folders, where an earlier build's files could be taken as up to date.
    /// </summary>
    private static string CopySources(string target)
    {
        foreach (var file in new[] { "Directory.Build.props", "Directory.Build.targets", "README.md", "LICENSE" })
            File.Copy(Path.Combine(RepositoryFiles.Root, file), Path.Combine(Directory.CreateDirectory(target).FullName, file));
        var source = Path.Combine(RepositoryFiles.Root, "src");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj")) continue;
            var copy = Path.Combine(target, "src", relative);
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }
        return target;
    }

    [Fact]
    public async Task The_packed_tool_installs_offline_and_plans_a_build()
    {
        var platform = System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier;
        var packages = Path.Combine(_folder, "packages");
        var sources = CopySources(Path.Combine(_folder, "sources"));
        (await DotnetAsync(sources, "pack", Path.Combine(sources, "src", "Orchestrator.Cli"), "-c", "Release",
            "-o", packages, $"-p:OrchestratorToolPlatforms={platform}", $"-p:Version={_version}")).EnsureSuccess();

        var pointer = Path.Combine(packages, $"Orchestrator.Cli.{_version}.nupkg");
        var native = Path.Combine(packages, $"Orchestrator.Cli.{platform}.{_version}.nupkg");
        Assert.True(File.Exists(pointer) && File.Exists(native), "packed: " + string.Join(", ", Directory.GetFiles(packages).Select(Path.GetFileName)));
        using (var archive = ZipFile.OpenRead(pointer))
        {
            var nuspec = XDocument.Load(archive.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
            string Field(string name) => nuspec.Descendants().FirstOrDefault(e => e.Name.LocalName == name)?.Value ?? "";
            Assert.Equal("MIT", Field("license"));
            Assert.Equal("README.md", Field("readme"));
            Assert.NotEmpty(Field("description"));
            Assert.Contains(archive.Entries, e => e.FullName == "README.md");
        }
        using (var archive = ZipFile.OpenRead(native))
        {
            // ReadyToRun: the main assembly carries precompiled code (a managed-native header), so it is much larger than IL alone.
            var main = archive.Entries.Single(e => e.FullName.EndsWith("/dotnet-orchestrate.dll", StringComparison.Ordinal));
            Assert.Contains(archive.Entries, e => e.FullName.EndsWith("/DotnetToolSettings.xml", StringComparison.Ordinal));
            using var stream = new MemoryStream();
            await main.Open().CopyToAsync(stream);
            using var reader = new System.Reflection.PortableExecutable.PEReader(new MemoryStream(stream.ToArray()));
            Assert.True(reader.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0, "dotnet-orchestrate.dll is not ReadyToRun");
        }

        var user = Directory.CreateDirectory(Path.Combine(_folder, "user")).FullName;
        await File.WriteAllTextAsync(Path.Combine(user, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="packed" value="{packages}" />
              </packageSources>
            </configuration>
            """);
        (await DotnetAsync(user, "new", "tool-manifest")).EnsureSuccess();
        (await DotnetAsync(user, "tool", "install", "Orchestrator.Cli", "--version", _version)).EnsureSuccess();

        var version = (await DotnetAsync(user, "orchestrate", "--version")).EnsureSuccess();
        Assert.StartsWith(_version, version.StandardOutput.Trim());

        var script = RepositoryFiles.CopyExample("multistage", Path.Combine(user, "repo"));
        var plan = (await DotnetAsync(user, "orchestrate", script, "--plan", "--cache-dir", Path.Combine(_folder, "cache"))).EnsureSuccess();
        Assert.Contains("plan: 4 nodes · 1 image", plan.StandardOutput);
        Assert.Contains("● backend", plan.StandardOutput);
    }
}
