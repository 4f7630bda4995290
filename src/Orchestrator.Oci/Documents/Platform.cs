using System.Runtime.InteropServices;
using System.Text.Json.Serialization;

namespace Orchestrator.Oci.Documents;

/// <summary>An os/architecture[/variant] pair, as in index entries and image configs.</summary>
public sealed record Platform(
    [property: JsonPropertyName("os")] string Os,
    [property: JsonPropertyName("architecture")] string Architecture)
{
    [JsonPropertyName("variant")]
    public string? Variant { get; init; }

    [JsonPropertyName("os.version")]
    public string? OsVersion { get; init; }

    [JsonPropertyName("os.features")]
    public IReadOnlyList<string>? OsFeatures { get; init; }

    public static Platform LinuxAmd64 { get; } = new("linux", "amd64");

    /// <summary>The platform of this machine, the default when the user gives none.</summary>
    public static Platform Host { get; } = new("linux", RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "amd64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        System.Runtime.InteropServices.Architecture.Arm or System.Runtime.InteropServices.Architecture.Armv6 => "arm",
        System.Runtime.InteropServices.Architecture.X86 => "386",
        System.Runtime.InteropServices.Architecture.S390x => "s390x",
        System.Runtime.InteropServices.Architecture.Ppc64le => "ppc64le",
        System.Runtime.InteropServices.Architecture.RiscV64 => "riscv64",
        System.Runtime.InteropServices.Architecture.LoongArch64 => "loong64",
        _ => "amd64",
    });

    /// <summary>Parses <c>os/arch[/variant]</c>, e.g. <c>linux/arm64/v8</c> (the <c>--platform</c> syntax).</summary>
    public static Platform Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length is < 2 or > 3 || parts.Any(p => p.Length == 0 || p.Any(char.IsWhiteSpace)))
            throw new OrchestratorException($"invalid platform '{text}': expected os/architecture[/variant], e.g. linux/amd64 or linux/arm64/v8");
        return new Platform(parts[0].ToLowerInvariant(), parts[1].ToLowerInvariant()) { Variant = parts.Length == 3 ? parts[2].ToLowerInvariant() : null };
    }

    public override string ToString() => Os + "/" + Architecture + (Variant is null ? "" : "/" + Variant);
}
