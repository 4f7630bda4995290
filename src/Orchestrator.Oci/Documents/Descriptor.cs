using System.Text.Json.Serialization;

namespace Orchestrator.Oci.Documents;

/// <summary>Points at content by media type, digest and size (OCI image spec, descriptor.md).</summary>
public sealed record Descriptor(
    [property: JsonPropertyName("mediaType")] string MediaType,
    [property: JsonPropertyName("digest")] Digest Digest,
    [property: JsonPropertyName("size")] long Size)
{
    [JsonPropertyName("urls")]
    public IReadOnlyList<string>? Urls { get; init; }

    [JsonPropertyName("annotations")]
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    /// <summary>Only in index entries: which platform the manifest is for.</summary>
    [JsonPropertyName("platform")]
    public Platform? Platform { get; init; }

    [JsonPropertyName("artifactType")]
    public string? ArtifactType { get; init; }

    /// <summary>The annotation value, or null when absent.</summary>
    public string? Annotation(string key) => Annotations is not null && Annotations.TryGetValue(key, out var value) ? value : null;

    /// <summary>A copy with <paramref name="key"/> set to <paramref name="value"/>.</summary>
    public Descriptor WithAnnotation(string key, string value)
    {
        var annotations = Annotations is null ? new SortedDictionary<string, string>(StringComparer.Ordinal) : new SortedDictionary<string, string>(Annotations.ToDictionary(), StringComparer.Ordinal);
        annotations[key] = value;
        return this with { Annotations = annotations };
    }
}
