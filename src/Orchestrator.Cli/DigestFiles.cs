using Orchestrator.Hosting;

namespace Orchestrator.Cli;

/// <summary>Writes the digest files CI systems read after a build (Kaniko's <c>--digest-file</c> family).</summary>
internal static class DigestFiles
{
    public static async Task WriteAsync(BuildRequest request, BuildReport report, CancellationToken cancellationToken)
    {
        if (request.DigestFile is { } digestFile)
            await File.WriteAllTextAsync(digestFile, string.Join("\n", report.Images.Select(i => i.Digest)), cancellationToken);
        if (request.ImageNameWithDigestFile is { } nameFile)
            await File.WriteAllTextAsync(nameFile, Lines(report.Images, withTag: false), cancellationToken);
        if (request.ImageNameTagWithDigestFile is { } tagFile)
            await File.WriteAllTextAsync(tagFile, Lines(report.Images, withTag: true), cancellationToken);
    }

    private static string Lines(IEnumerable<BuiltImage> images, bool withTag) =>
        string.Concat(images.SelectMany(i => i.Destinations.Select(d =>
        {
            var reference = Oci.ImageReference.Parse(d);
            var name = withTag ? reference.Name + ":" + reference.EffectiveTag : reference.Name;
            return $"{name}@{i.Digest}\n";
        })));
}
