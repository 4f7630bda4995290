namespace Orchestrator.Oci.Documents;

/// <summary>
/// A manifest or index exactly as stored: its media type, its bytes and their digest. The bytes are
/// never re-serialised, so the digest stays the registry's.
/// </summary>
public sealed record ManifestDocument(string MediaType, byte[] Content, Digest Digest)
{
    public bool IsIndex => MediaTypes.IsIndex(MediaType);

    public Descriptor Descriptor => new(MediaType, Digest, Content.LongLength);

    /// <summary>Wraps bytes we received; <paramref name="mediaType"/> is the Content-Type, or null to use the body's <c>mediaType</c>.</summary>
    public static ManifestDocument FromBytes(byte[] content, string? mediaType, string source)
    {
        var bodyMediaType = ReadBodyMediaType(content, source);
        var effective = MediaTypes.IsManifestOrIndex(mediaType) ? mediaType! : bodyMediaType ?? mediaType;
        // An OCI manifest may omit mediaType; its shape (config vs manifests) tells which it is.
        effective ??= LooksLikeIndex(content) ? MediaTypes.OciIndex : MediaTypes.OciManifest;
        if (!MediaTypes.IsManifestOrIndex(effective))
            throw new OrchestratorException(
                $"{source}: unsupported manifest media type '{effective}'; supported: {string.Join(", ", MediaTypes.AcceptedManifests)}" +
                (effective == "application/vnd.docker.distribution.manifest.v1+prettyjws" ? " (Docker schema 1 images must be re-pushed with a current client)" : ""));
        return new ManifestDocument(effective, content, Digest.Sha256(content));
    }

    public static ManifestDocument From(ImageManifest manifest)
    {
        var bytes = CanonicalJson.Serialize(manifest);
        return new ManifestDocument(manifest.MediaType, bytes, Digest.Sha256(bytes));
    }

    public static ManifestDocument From(ImageIndex index)
    {
        var bytes = CanonicalJson.Serialize(index);
        return new ManifestDocument(index.MediaType, bytes, Digest.Sha256(bytes));
    }

    public ImageManifest AsManifest()
    {
        if (!MediaTypes.IsImageManifest(MediaType))
            throw new OrchestratorException($"manifest {Digest} is a {MediaType}, not an image manifest; select a platform first");
        var manifest = CanonicalJson.Deserialize<ImageManifest>(Content, $"manifest {Digest}");
        if (manifest.Config is null || manifest.Layers is null)
            throw new OrchestratorException($"manifest {Digest} has no config or no layers list");
        return manifest with { MediaType = MediaType };
    }

    public ImageIndex AsIndex()
    {
        if (!IsIndex)
            throw new OrchestratorException($"manifest {Digest} is a {MediaType}, not an index");
        var index = CanonicalJson.Deserialize<ImageIndex>(Content, $"index {Digest}");
        return index with { MediaType = MediaType, Manifests = index.Manifests ?? [] };
    }

    private static string? ReadBodyMediaType(byte[] content, string source)
    {
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(content);
            if (json.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object)
                throw new OrchestratorException($"{source}: manifest is not a JSON object");
            return json.RootElement.TryGetProperty("mediaType", out var value) && value.ValueKind == System.Text.Json.JsonValueKind.String
                ? value.GetString()
                : null;
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new OrchestratorException($"{source}: manifest is not valid JSON: {e.Message}", e);
        }
    }

    private static bool LooksLikeIndex(byte[] content)
    {
        using var json = System.Text.Json.JsonDocument.Parse(content);
        return json.RootElement.TryGetProperty("manifests", out _);
    }
}
