using Orchestrator.Testing;

using System.Runtime.Versioning;

namespace Orchestrator.Tests.Conformance;

/// <summary>
/// The oracle: Debian's buildah builds the same context (vfs storage in the environment's private
/// root, chroot isolation, no intermediate layer cache) and pushes the result to an OCI layout.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class BuildahBuilder(ConformanceEnvironment environment)
{
    private string[] Storage => ["--storage-driver", "vfs", "--root", environment.BuildahRoot, "--runroot", environment.BuildahRunRoot];

    public async Task BuildAsync(string context, IReadOnlyDictionary<string, string> buildArgs, string tag, string layout, string? target = null)
    {
        var environmentVariables = new Dictionary<string, string> { ["STORAGE_DRIVER"] = "vfs", ["BUILDAH_ISOLATION"] = "chroot" };
        List<string> arguments = [.. Storage, "bud", "--isolation", "chroot", "--layers=false", "--tls-verify=false", "-f", Path.Combine(context, "Dockerfile"), "-t", tag];
        foreach (var (name, value) in buildArgs) arguments.AddRange(["--build-arg", $"{name}={value}"]);
        if (target is not null) arguments.AddRange(["--target", target]);
        arguments.Add(context);
        (await ExternalTool.RunAsync("buildah", arguments, TimeSpan.FromMinutes(10), environment: environmentVariables)).EnsureSuccess();
        (await ExternalTool.RunAsync("buildah", [.. Storage, "push", "--quiet", tag, $"oci:{layout}:latest"], TimeSpan.FromMinutes(5), environment: environmentVariables)).EnsureSuccess();
        await ExternalTool.RunAsync("buildah", [.. Storage, "rmi", "--force", tag], environment: environmentVariables);
    }
}
