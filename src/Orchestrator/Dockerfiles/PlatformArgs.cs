using System.Runtime.InteropServices;

namespace Orchestrator.Dockerfiles;

/// <summary>
/// BuildKit's automatic platform arguments (TARGETPLATFORM, TARGETOS, TARGETARCH, TARGETVARIANT and the
/// BUILD* set). They are defined in the global scope without an ARG; a stage sees them after <c>ARG NAME</c>.
/// </summary>
internal static class PlatformArgs
{
    public const string DefaultTarget = "linux/amd64";

    public static Dictionary<string, string> For(string? targetPlatform)
    {
        var args = new Dictionary<string, string>(StringComparer.Ordinal);
        Add(args, "TARGET", targetPlatform ?? DefaultTarget);
        Add(args, "BUILD", BuildPlatform());
        return args;
    }

    private static void Add(Dictionary<string, string> args, string prefix, string platform)
    {
        var parts = platform.Split('/');
        args[prefix + "PLATFORM"] = platform;
        args[prefix + "OS"] = parts[0];
        args[prefix + "ARCH"] = parts.Length > 1 ? parts[1] : "";
        args[prefix + "VARIANT"] = parts.Length > 2 ? parts[2] : "";
    }

    /// <summary>The platform this process runs on, in OCI terms.</summary>
    private static string BuildPlatform() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.Arm64 => "linux/arm64",
        Architecture.Arm => "linux/arm/v7",
        Architecture.X86 => "linux/386",
        Architecture.S390x => "linux/s390x",
        Architecture.Ppc64le => "linux/ppc64le",
        Architecture.RiscV64 => "linux/riscv64",
        _ => "linux/amd64",
    };
}
