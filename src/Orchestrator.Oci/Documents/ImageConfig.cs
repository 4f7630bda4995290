using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orchestrator.Oci.Documents;

/// <summary>
/// The image configuration blob (OCI image spec config.md; Docker's image JSON is the same shape).
/// Fields we do not model (e.g. Docker's <c>container_config</c>) are kept in <see cref="Extra"/> so a
/// read-modify-write keeps them.
/// </summary>
public sealed record ImageConfig
{
    [JsonPropertyName("created")]
    public DateTimeOffset? Created { get; init; }

    [JsonPropertyName("author")]
    public string? Author { get; init; }

    [JsonPropertyName("architecture")]
    public string Architecture { get; init; } = "amd64";

    [JsonPropertyName("os")]
    public string Os { get; init; } = "linux";

    [JsonPropertyName("variant")]
    public string? Variant { get; init; }

    [JsonPropertyName("os.version")]
    public string? OsVersion { get; init; }

    [JsonPropertyName("config")]
    public ContainerConfig? Config { get; init; }

    [JsonPropertyName("rootfs")]
    public RootFs RootFs { get; init; } = new("layers", []);

    [JsonPropertyName("history")]
    public IReadOnlyList<HistoryEntry>? History { get; init; }

    // Settable, not init-only: the source-generated reader fills extension data after construction.
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }

    /// <summary>The platform this config describes.</summary>
    [JsonIgnore]
    public Platform Platform => new(Os, Architecture) { Variant = Variant, OsVersion = OsVersion };

    /// <summary>Reads the config blob of <paramref name="manifest"/> and checks that it lists one diffID per layer.</summary>
    /// <param name="source">The image as messages name it (a reference, an <c>oci:</c> layout).</param>
    public static async Task<ImageConfig> ReadAsync(Stream blob, ImageManifest manifest, string source, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await blob.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        var config = CanonicalJson.Deserialize<ImageConfig>(buffer.ToArray(), $"{source}: image config {manifest.Config.Digest}");
        if (config.RootFs.DiffIds.Count != manifest.Layers.Count)
            throw new OrchestratorException($"{source}: the config lists {config.RootFs.DiffIds.Count} diff_ids but the manifest has {manifest.Layers.Count} layers; the image is broken");
        return config;
    }

    /// <summary>A copy with one more layer: its diffID appended to rootfs and a history line for it.</summary>
    public ImageConfig WithLayer(Digest diffId, HistoryEntry history) => this with
    {
        RootFs = RootFs with { DiffIds = [.. RootFs.DiffIds, diffId] },
        History = [.. History ?? [], history],
    };

    /// <summary>A copy with a history line for a step that made no layer (ENV, CMD, ...).</summary>
    public ImageConfig WithEmptyLayerHistory(HistoryEntry history) => this with
    {
        History = [.. History ?? [], history with { EmptyLayer = true }],
    };
}

/// <summary>The <c>rootfs</c> section: the uncompressed digests (diffIDs) of the layers, in order.</summary>
public sealed record RootFs(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("diff_ids")] IReadOnlyList<Digest> DiffIds);

/// <summary>One line of image history: which step made which layer (or no layer).</summary>
public sealed record HistoryEntry
{
    [JsonPropertyName("created")]
    public DateTimeOffset? Created { get; init; }

    [JsonPropertyName("created_by")]
    public string? CreatedBy { get; init; }

    [JsonPropertyName("author")]
    public string? Author { get; init; }

    [JsonPropertyName("comment")]
    public string? Comment { get; init; }

    [JsonPropertyName("empty_layer")]
    public bool? EmptyLayer { get; init; }
}
