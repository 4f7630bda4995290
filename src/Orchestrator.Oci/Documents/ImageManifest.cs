using System.Text.Json.Serialization;

namespace Orchestrator.Oci.Documents;

/// <summary>
/// An image manifest: an OCI image manifest or a Docker schema 2 manifest (same shape, different
/// media types).
/// </summary>
public sealed record ImageManifest(
    [property: JsonPropertyName("mediaType")] string MediaType,
    [property: JsonPropertyName("config")] Descriptor Config,
    [property: JsonPropertyName("layers")] IReadOnlyList<Descriptor> Layers)
{
    [JsonPropertyName("schemaVersion")]
    public int SchemaVersion { get; init; } = 2;

    [JsonPropertyName("artifactType")]
    public string? ArtifactType { get; init; }

    [JsonPropertyName("subject")]
    public Descriptor? Subject { get; init; }

    [JsonPropertyName("annotations")]
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    /// <summary>Config first, then layers: every blob this manifest points at.</summary>
    [JsonIgnore]
    public IEnumerable<Descriptor> Blobs => Layers.Prepend(Config);
}
