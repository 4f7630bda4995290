using System.Text.Json;
using Orchestrator.Testing;

namespace Orchestrator.Tests;

/// <summary>An image in an OCI layout, unpacked by umoci (a tool we did not write): its root filesystem and runtime config.</summary>
internal sealed record OciLayoutImage(string Rootfs, JsonElement Config, string ManifestDigest)
{
    public JsonElement Process => Config.GetProperty("process");

    public IReadOnlyList<string?> Args => Process.GetProperty("args").EnumerateArray().Select(a => a.GetString()).ToList();

    public IReadOnlyList<string?> Env => Process.GetProperty("env").EnumerateArray().Select(a => a.GetString()).ToList();

    public static async Task<OciLayoutImage> UnpackAsync(string layout, string bundle)
    {
        (await ExternalTool.RunAsync("umoci", "unpack", "--rootless", "--image", layout + ":latest", bundle)).EnsureSuccess();
        using var config = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(bundle, "config.json")));
        using var index = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(layout, "index.json")));
        var digest = index.RootElement.GetProperty("manifests").EnumerateArray().Single().GetProperty("digest").GetString()!;
        return new OciLayoutImage(Path.Combine(bundle, "rootfs"), config.RootElement.Clone(), digest);
    }
}
