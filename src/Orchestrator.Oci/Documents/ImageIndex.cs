using System.Text.Json.Serialization;

namespace Orchestrator.Oci.Documents;

/// <summary>An OCI image index or a Docker manifest list: one manifest per platform.</summary>
public sealed record ImageIndex(
    [property: JsonPropertyName("mediaType")] string MediaType,
    [property: JsonPropertyName("manifests")] IReadOnlyList<Descriptor> Manifests)
{
    [JsonPropertyName("schemaVersion")]
    public int SchemaVersion { get; init; } = 2;

    [JsonPropertyName("artifactType")]
    public string? ArtifactType { get; init; }

    [JsonPropertyName("annotations")]
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }
}
