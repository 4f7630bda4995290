using System.Text.Json;
using Orchestrator.Testing;

namespace Orchestrator.Oci.Tests;

/// <summary>skopeo, a client we did not write, as the oracle for what is in a registry or a layout.</summary>
internal static class Skopeo
{
    public static async Task<JsonElement> InspectAsync(string transportReference, bool raw = false)
    {
        var arguments = new List<string> { "--insecure-policy", "inspect", "--tls-verify=false" };
        if (raw) arguments.Add("--raw");
        arguments.Add(transportReference);
        var result = (await ExternalTool.RunAsync("skopeo", arguments)).EnsureSuccess();
        using var json = JsonDocument.Parse(result.StandardOutput);
        return json.RootElement.Clone();
    }

    public static async Task CopyAsync(string source, string destination, params string[] extra)
    {
        var arguments = new List<string> { "--insecure-policy", "copy", "--src-tls-verify=false", "--dest-tls-verify=false" };
        arguments.AddRange(extra);
        arguments.Add(source);
        arguments.Add(destination);
        (await ExternalTool.RunAsync("skopeo", arguments, TimeSpan.FromMinutes(5))).EnsureSuccess();
    }
}
