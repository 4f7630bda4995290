using System.Text.Json;

namespace Orchestrator.Tests.Conformance;

/// <summary>
/// The runtime config fields two builds of one Dockerfile must agree on, read from an OCI layout
/// (index.json → manifest → config). Absent and empty lists or maps count as the same.
/// </summary>
internal sealed record ImageConfigFields(IReadOnlyDictionary<string, string> Fields)
{
    /// <summary>Label buildah stamps on every image it builds; Docker adds nothing of the kind.</summary>
    public const string BuildahVersionLabel = "io.buildah.version";

    public static ImageConfigFields Read(string layout, string refName = "latest")
    {
        using var index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(layout, "index.json")));
        var manifestDescriptor = index.RootElement.GetProperty("manifests").EnumerateArray()
            .Last(m => !m.TryGetProperty("annotations", out var a) || !a.TryGetProperty("org.opencontainers.image.ref.name", out var n) || n.GetString() == refName);
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(BlobPath(layout, manifestDescriptor.GetProperty("digest").GetString()!)));
        using var config = JsonDocument.Parse(File.ReadAllBytes(BlobPath(layout, manifest.RootElement.GetProperty("config").GetProperty("digest").GetString()!)));
        var container = config.RootElement.TryGetProperty("config", out var c) ? c : default;

        var fields = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            // Env as a set: buildah moves a redefined variable to the end, Docker keeps its place (names are unique either way).
            ["Env"] = List(container, "Env", sorted: true),
            ["Entrypoint"] = List(container, "Entrypoint"),
            ["Cmd"] = List(container, "Cmd"),
            ["WorkingDir"] = Text(container, "WorkingDir"),
            ["User"] = Text(container, "User"),
            ["Labels"] = Map(container, "Labels", skip: BuildahVersionLabel),
            ["ExposedPorts"] = Keys(container, "ExposedPorts"),
            ["Volumes"] = Keys(container, "Volumes"),
        };
        return new ImageConfigFields(fields);
    }

    /// <summary>The same fields without <paramref name="names"/>, which <see cref="Differences"/> then leaves uncompared.</summary>
    public ImageConfigFields Without(IEnumerable<string> names) =>
        new(Fields.Where(f => !names.Contains(f.Key)).ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal));

    public IEnumerable<string> Differences(ImageConfigFields other, string thisName, string otherName) =>
        Fields.Where(f => other.Fields[f.Key] != f.Value).Select(f => $"config {f.Key}: {f.Value} ({thisName}) vs {other.Fields[f.Key]} ({otherName})");

    private static string BlobPath(string layout, string digest) => Path.Combine(layout, "blobs", digest.Split(':')[0], digest.Split(':')[1]);

    private static bool TryGet(JsonElement container, string name, out JsonElement value)
    {
        value = default;
        return container.ValueKind == JsonValueKind.Object && container.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;
    }

    private static string List(JsonElement container, string name, bool sorted = false)
    {
        if (!TryGet(container, name, out var value)) return "[]";
        var items = value.EnumerateArray().Select(e => JsonSerializer.Serialize(e.GetString()));
        return "[" + string.Join(", ", sorted ? items.Order(StringComparer.Ordinal) : items) + "]";
    }

    /// <summary>The Volumes keys as paths.</summary>
    public IEnumerable<string> VolumePaths => Fields["Volumes"].Trim('{', '}').Split(", ", StringSplitOptions.RemoveEmptyEntries);

    private static string Text(JsonElement container, string name) => TryGet(container, name, out var value) ? JsonSerializer.Serialize(value.GetString()) : "\"\"";

    private static string Map(JsonElement container, string name, string skip) =>
        TryGet(container, name, out var value)
            ? "{" + string.Join(", ", value.EnumerateObject().Where(p => p.Name != skip).OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => $"{p.Name}={p.Value.GetString()}")) + "}"
            : "{}";

    private static string Keys(JsonElement container, string name) =>
        TryGet(container, name, out var value) ? "{" + string.Join(", ", value.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)) + "}" : "{}";
}
