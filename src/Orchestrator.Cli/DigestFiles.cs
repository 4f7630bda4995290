using Orchestrator.Planning;

namespace Orchestrator.Cli;

/// <summary>Writes the digest files CI systems read after a build (Kaniko's <c>--digest-file</c> family).</summary>
internal static class DigestFiles
{
    public static async Task WriteAsync(BuildSettings settings, BuildGraph graph, IReadOnlyDictionary<string, StageResult> results, CancellationToken cancellationToken)
    {
        var images = graph.Nodes.Where(n => n.IsRequested).Select(n => (Node: n, Result: results[n.Name])).ToList();
        if (settings.DigestFile is { } digestFile)
            await File.WriteAllTextAsync(digestFile, string.Join("\n", images.Select(i => i.Result.ManifestDigest)), cancellationToken);
        if (settings.ImageNameWithDigestFile is { } nameFile)
            await File.WriteAllTextAsync(nameFile, Lines(images, withTag: false), cancellationToken);
        if (settings.ImageNameTagWithDigestFile is { } tagFile)
            await File.WriteAllTextAsync(tagFile, Lines(images, withTag: true), cancellationToken);
    }

    private static string Lines(IEnumerable<(GraphNode Node, StageResult Result)> images, bool withTag) =>
        string.Concat(images.SelectMany(i => i.Node.Stage.Destinations.Select(d =>
        {
            var reference = Oci.ImageReference.Parse(d);
            var name = withTag ? reference.Name + ":" + reference.EffectiveTag : reference.Name;
            return $"{name}@{i.Result.ManifestDigest}\n";
        })));
}
