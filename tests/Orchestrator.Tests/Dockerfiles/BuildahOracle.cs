using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;

namespace Orchestrator.Tests.Dockerfiles;

/// <summary>
/// Builds a context with the real buildah (vfs storage, chroot isolation, Docker image format) into private
/// storage under <paramref name="work"/>, and reads back the image config and the files of its layers.
/// </summary>
internal sealed class BuildahOracle(string work)
{
    private string[] Storage => ["--storage-driver", "vfs", "--root", Path.Combine(work, "root"), "--runroot", Path.Combine(work, "run")];

    public async Task<BuildahImage> BuildAsync(string context, string tag)
    {
        await RunAsync([.. Storage, "build", "--format", "docker", "--isolation", "chroot", "-q", "-t", tag, context]);
        var inspect = await RunAsync([.. Storage, "inspect", "--type", "image", tag]);
        using var document = JsonDocument.Parse(inspect);
        var config = document.RootElement.GetProperty("Docker").GetProperty("config").Clone();

        var layout = Path.Combine(work, "oci-" + tag.Replace(':', '-'));
        await RunAsync([.. Storage, "push", "-q", tag, "oci:" + layout + ":1"]);
        return new BuildahImage(config, await LayerFilesAsync(layout));
    }

    private static async Task<List<string>> LayerFilesAsync(string layout)
    {
        var files = new List<string>();
        foreach (var blob in Directory.GetFiles(Path.Combine(layout, "blobs", "sha256")))
        {
            await using var stream = File.OpenRead(blob);
            var magic = new byte[2];
            await stream.ReadExactlyAsync(magic);
            stream.Position = 0;
            if (magic[0] == '{') continue; // manifest or config
            await using Stream tar = magic[0] == 0x1f && magic[1] == 0x8b ? new GZipStream(stream, CompressionMode.Decompress) : stream;
            await using var reader = new TarReader(tar);
            while (await reader.GetNextEntryAsync() is { } entry)
                if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile)
                    files.Add(entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name.TrimStart('/'));
        }
        return files.Order(StringComparer.Ordinal).ToList();
    }

    private static async Task<string> RunAsync(string[] arguments)
    {
        var start = new ProcessStartInfo("buildah") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"buildah {string.Join(' ', arguments)} failed ({process.ExitCode}):\n{await stderr}\n{await stdout}");
        return await stdout;
    }
}

/// <summary>What buildah produced: the Docker-format config and the regular files in the layers.</summary>
internal sealed record BuildahImage(JsonElement Config, List<string> Files)
{
    public string? String(string name) =>
        Config.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public List<string> Strings(string name) =>
        Config.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().Select(e => e.GetString()!).ToList() : [];

    public List<string> Keys(string name) =>
        Config.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToList() : [];

    public Dictionary<string, string> Map(string name) =>
        Config.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!) : [];
}
