using System.Formats.Tar;
using Orchestrator.Testing;

using System.Runtime.Versioning;

namespace Orchestrator.Tests.Conformance;

/// <summary>
/// The reference oracle: a running BuildKit daemon, driven by <c>buildctl</c> with its built-in Dockerfile frontend
/// (<c>dockerfile.v0</c>, no frontend image to pull), exporting the image as an OCI layout tagged <c>latest</c>.
/// Found through <c>BUILDCTL</c> (the buildctl binary) and <c>BUILDKIT_HOST</c> (the daemon's address), which
/// make-goldens.sh sets; nothing runs BuildKit in the normal test run.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class BuildKitBuilder(string buildctl, string address)
{
    public const string BuildctlVariable = "BUILDCTL", AddressVariable = "BUILDKIT_HOST";

    public static BuildKitBuilder? FromEnvironment() =>
        Environment.GetEnvironmentVariable(BuildctlVariable) is { Length: > 0 } buildctl && Environment.GetEnvironmentVariable(AddressVariable) is { Length: > 0 } address
            ? new BuildKitBuilder(buildctl, address)
            : null;

    /// <summary>The daemon's own version, e.g. <c>v0.11.6</c> (not buildctl's).</summary>
    public async Task<string> DaemonVersionAsync()
    {
        var info = (await ExternalTool.RunAsync(buildctl, ["--addr", address, "debug", "info"])).EnsureSuccess().StandardOutput;
        // "BuildKit:	github.com/moby/buildkit v0.11.6 2951a28c…"
        var line = info.Split('\n').Single(l => l.StartsWith("BuildKit:", StringComparison.Ordinal));
        return line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[2];
    }

    public async Task BuildAsync(string context, IReadOnlyDictionary<string, string> buildArgs, string layout, string? target = null)
    {
        var tarball = layout + ".tar";
        List<string> arguments =
        [
            "--addr", address, "build", "--progress", "plain", "--frontend", "dockerfile.v0",
            "--local", $"context={context}", "--local", $"dockerfile={context}", "--opt", "filename=Dockerfile",
            "--output", $"type=oci,dest={tarball},name=conformance/case:latest",
        ];
        foreach (var (name, value) in buildArgs) arguments.AddRange(["--opt", $"build-arg:{name}={value}"]);
        if (target is not null) arguments.AddRange(["--opt", $"target={target}"]);
        (await ExternalTool.RunAsync(buildctl, arguments, TimeSpan.FromMinutes(20))).EnsureSuccess();
        Directory.CreateDirectory(layout);
        await TarFile.ExtractToDirectoryAsync(tarball, layout, overwriteFiles: false);
        File.Delete(tarball);
    }
}
