namespace Orchestrator.Oci.Documents;

/// <summary>Picks the manifest for one platform out of an index, the way container runtimes match.</summary>
public static class PlatformSelector
{
    /// <summary>
    /// The entry whose os/architecture match and whose variant matches (a missing variant on either
    /// side matches the architecture's default: v8 for arm64, v7 for arm). Throws naming what exists.
    /// </summary>
    public static Descriptor Select(ImageIndex index, Platform wanted, string source)
    {
        var candidates = index.Manifests
            .Where(m => m.Platform is not null && MediaTypes.IsManifestOrIndex(m.MediaType))
            .ToList();
        var match = candidates.FirstOrDefault(m => Matches(m.Platform!, wanted, exactVariant: true))
            ?? candidates.FirstOrDefault(m => Matches(m.Platform!, wanted, exactVariant: false));
        if (match is not null) return match;

        var available = candidates.Count == 0 ? "none" : string.Join(", ", candidates.Select(m => m.Platform!.ToString()).Distinct());
        throw new OrchestratorException($"{source} has no manifest for platform {wanted}; it offers: {available}. Choose one with --platform.");
    }

    private static bool Matches(Platform offered, Platform wanted, bool exactVariant)
    {
        if (!string.Equals(offered.Os, wanted.Os, StringComparison.OrdinalIgnoreCase)) return false;
        if (!string.Equals(Normalise(offered.Architecture), Normalise(wanted.Architecture), StringComparison.OrdinalIgnoreCase)) return false;
        var offeredVariant = offered.Variant ?? DefaultVariant(offered.Architecture);
        var wantedVariant = wanted.Variant ?? DefaultVariant(wanted.Architecture);
        if (exactVariant) return string.Equals(offeredVariant, wantedVariant, StringComparison.OrdinalIgnoreCase);
        // No exact hit: an unspecified wanted variant takes any variant of the architecture.
        return wanted.Variant is null;
    }

    private static string Normalise(string architecture) => architecture switch
    {
        "x86_64" or "x86-64" => "amd64",
        "aarch64" => "arm64",
        "i386" or "i686" => "386",
        _ => architecture,
    };

    private static string? DefaultVariant(string architecture) => Normalise(architecture) switch
    {
        "arm64" => "v8",
        "arm" => "v7",
        _ => null,
    };
}
