using System.Text.Json;
using Orchestrator.Cli;
using Orchestrator.Testing;
using Orchestrator.Testing.BaseImages;
using Orchestrator.Tests.Cli;
using Orchestrator.Tests.Conformance;

namespace Orchestrator.Tests.Recipes.Library;

[CollectionDefinition(Name)]
public sealed class RecipeLibraryCollection : ICollectionFixture<RecipeLibraryEnvironment>
{
    public const string Name = "Recipe library";
}

/// <summary>
/// What the recipe library's tests share: a work folder holding a copy of the repository's <c>recipes/</c>
/// (scripts load them as <c>#load "../recipes/x.csx"</c>), one cache folder for every build (so the Debian base
/// is extracted once and an apt layer made by one test is a hit for the next), and the Debian bookworm minbase
/// (mmdebstrap, cached between runs) as an OCI layout the recipes take as their image: <c>oci:PATH</c>.
/// </summary>
public sealed class RecipeLibraryEnvironment : IAsyncLifetime
{
    private readonly SemaphoreSlim _debianGate = new(1, 1);
    private string? _debian;

    public string Work { get; } = Directory.CreateTempSubdirectory("orchestrator-recipes-").FullName;

    public string Cache => Path.Combine(Work, "cache");

    public Task InitializeAsync()
    {
        var recipes = Directory.CreateDirectory(Path.Combine(Work, "recipes")).FullName;
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepositoryFiles.Root, "recipes"), "*.csx"))
            File.Copy(file, Path.Combine(recipes, Path.GetFileName(file)));
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        TreeDeleter.Delete(Work);
        return Task.CompletedTask;
    }

    /// <summary>The Debian minbase as <c>oci:PATH</c>, written the first time it is asked for.</summary>
    public async Task<string> DebianAsync()
    {
        await _debianGate.WaitAsync();
        try
        {
            if (_debian is not null) return _debian;
            var layout = Path.Combine(Work, "bases", "debian");
            await BaseImagePublisher.WriteLayoutAsync(await DebianMinbaseTarball.GetAsync(), layout, ["bash"], Work);
            return _debian = "oci:" + layout;
        }
        finally
        {
            _debianGate.Release();
        }
    }

    /// <summary>A fresh project folder under the work folder with <paramref name="files"/> (relative path → content) in it.</summary>
    public string Project(string name, IReadOnlyDictionary<string, string> files)
    {
        var folder = Path.Combine(Work, name);
        if (Directory.Exists(folder)) TreeDeleter.Delete(folder);
        Directory.CreateDirectory(folder);
        foreach (var (path, content) in files)
        {
            var full = Path.Combine(folder, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }
        return folder;
    }

    /// <summary>Runs <c>dotnet orchestrate</c> in-process on <paramref name="script"/> with the shared cache folder.</summary>
    public async Task<CliRun> OrchestrateAsync(string script, params string[] arguments)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync([script, .. arguments, "--cache-dir", Cache, "--progress", "plain"], stdout, stderr);
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The image in an OCI layout as umoci unpacks it, and its image config as the manifest names it.</summary>
    public async Task<BuiltImage> UnpackAsync(string layout)
    {
        var bundle = Path.Combine(Work, "bundle-" + Guid.NewGuid().ToString("N"));
        (await ExternalTool.RunAsync("umoci", ["unpack", "--rootless", "--image", layout + ":latest", bundle], TimeSpan.FromMinutes(5))).EnsureSuccess();
        return new BuiltImage(Path.Combine(bundle, "rootfs"), await ReadImageConfigAsync(layout), await ReadLayerCountAsync(layout));
    }

    private static async Task<JsonElement> ReadBlobAsync(string layout, string digest)
    {
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(layout, "blobs", "sha256", digest["sha256:".Length..])));
        return document.RootElement.Clone();
    }

    private static async Task<JsonElement> ReadManifestAsync(string layout)
    {
        using var index = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(layout, "index.json")));
        var entry = index.RootElement.GetProperty("manifests").EnumerateArray()
            .Single(m => m.TryGetProperty("annotations", out var a) && a.GetProperty("org.opencontainers.image.ref.name").GetString() == "latest");
        return await ReadBlobAsync(layout, entry.GetProperty("digest").GetString()!);
    }

    private static async Task<JsonElement> ReadImageConfigAsync(string layout)
    {
        var manifest = await ReadManifestAsync(layout);
        return (await ReadBlobAsync(layout, manifest.GetProperty("config").GetProperty("digest").GetString()!)).GetProperty("config");
    }

    private static async Task<int> ReadLayerCountAsync(string layout) =>
        (await ReadManifestAsync(layout)).GetProperty("layers").GetArrayLength();
}

/// <summary>One CLI run: exit code and what it printed.</summary>
public sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>A built image: its unpacked root filesystem, the <c>config</c> object of its image config, and its layer count.</summary>
public sealed record BuiltImage(string Rootfs, JsonElement Config, int Layers)
{
    public string Path(string inImage) => System.IO.Path.Combine(Rootfs, inImage.TrimStart('/'));

    public string? User => Config.TryGetProperty("User", out var user) ? user.GetString() : null;

    public string[] Strings(string field) =>
        Config.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().Select(e => e.GetString()!).ToArray() : [];

    public string? Env(string name) =>
        Strings("Env").Select(e => e.Split('=', 2)).Where(p => p[0] == name).Select(p => p[1]).SingleOrDefault();
}
