using System.Text.Json;

namespace Orchestrator.Oci.Registry;

/// <summary>Reads the distribution error body (<c>{"errors":[{"code","message"}]}</c>) into a short suffix for messages.</summary>
internal static class RegistryErrorBody
{
    public static async Task<string> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            if (response.Content.Headers.ContentLength is > 64 * 1024) return "";
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (body.Length == 0) return "";
            using var json = JsonDocument.Parse(body);
            if (!json.RootElement.TryGetProperty("errors", out var errors) || errors.ValueKind != JsonValueKind.Array) return "";
            var parts = errors.EnumerateArray()
                .Select(e => $"{(e.TryGetProperty("code", out var c) ? c.GetString() : "?")}: {(e.TryGetProperty("message", out var m) ? m.GetString() : "")}")
                .ToList();
            return parts.Count == 0 ? "" : " (" + string.Join("; ", parts) + ")";
        }
        catch (Exception e) when (e is JsonException or HttpRequestException or IOException)
        {
            return "";
        }
    }
}
