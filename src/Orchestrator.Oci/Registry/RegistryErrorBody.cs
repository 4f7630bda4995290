using System.Text.Json;

namespace Orchestrator.Oci.Registry;

/// <summary>
/// The distribution error body (<c>{"errors":[{"code","message"}]}</c>): its codes, and a short suffix for messages.
/// </summary>
internal sealed record RegistryErrorBody(IReadOnlyList<string> Codes, string Suffix)
{
    private static readonly RegistryErrorBody None = new([], "");

    public static async Task<RegistryErrorBody> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            if (response.Content.Headers.ContentLength is > 64 * 1024) return None;
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (body.Length == 0) return None;
            using var json = JsonDocument.Parse(body);
            if (!json.RootElement.TryGetProperty("errors", out var errors) || errors.ValueKind != JsonValueKind.Array) return None;
            var parsed = errors.EnumerateArray()
                .Select(e => (Code: e.TryGetProperty("code", out var c) ? c.GetString() ?? "?" : "?", Message: e.TryGetProperty("message", out var m) ? m.GetString() : ""))
                .ToList();
            return parsed.Count == 0 ? None : new(parsed.Select(p => p.Code).ToList(), " (" + string.Join("; ", parsed.Select(p => $"{p.Code}: {p.Message}")) + ")");
        }
        catch (Exception e) when (e is JsonException or HttpRequestException or IOException)
        {
            return None;
        }
    }
}
