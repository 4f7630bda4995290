using System.Text;
using System.Text.Json;
using Orchestrator.Oci;

namespace Orchestrator.Caching;

/// <summary>
/// The inputs of each stage's last build on this machine (<c>cache-index/stages/</c>, one small JSON file per stage
/// name and context), so a plan can say why a step misses: the first input that differs from the last time
/// (<see cref="CacheKeyDifference"/>). Only what keys show is kept — names, short values and digests, never
/// contents or secrets. Written atomically; a damaged or missing file just means no reason is known.
/// </summary>
public sealed class StepHistory(string cacheDirectory)
{
    private readonly string _folder = Path.Combine(cacheDirectory, "cache-index", "stages");

    /// <summary>The stage's last recorded keys: its root's parts and each step's (null where a step had no key).</summary>
    public sealed record Entry(IReadOnlyList<CacheKeyPart>? Root, IReadOnlyList<IReadOnlyList<CacheKeyPart>?> Steps);

    public void Record(string stage, string? context, StageCacheKeys keys)
    {
        var stored = new Stored(
            keys.Root?.Key.Parts.Select(p => new[] { p.Name, p.Value }).ToArray(),
            keys.Steps.Select(s => s.Key?.Parts.Select(p => new[] { p.Name, p.Value }).ToArray()).ToArray());
        Directory.CreateDirectory(_folder);
        var path = PathOf(stage, context);
        var temp = path + $".tmp-{Guid.NewGuid():N}";
        try
        {
            File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(stored, CacheJsonContext.Default.StepHistoryStored));
            File.Move(temp, path, overwrite: true);
        }
        catch (IOException)
        {
            // Only the plan's reasons depend on it.
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public Entry? Last(string stage, string? context)
    {
        try
        {
            var stored = JsonSerializer.Deserialize(File.ReadAllBytes(PathOf(stage, context)), CacheJsonContext.Default.StepHistoryStored);
            return stored?.Steps is null ? null : new Entry(ToParts(stored.Root), stored.Steps.Select(ToParts).ToList());
        }
        catch (Exception error) when (error is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static IReadOnlyList<CacheKeyPart>? ToParts(string?[][]? parts) =>
        parts?.Where(p => p.Length == 2 && p[0] is not null).Select(p => new CacheKeyPart(p[0]!, p[1])).ToList();

    private string PathOf(string stage, string? context) =>
        Path.Combine(_folder, Digest.Sha256(Encoding.UTF8.GetBytes(stage + "\n" + context)).Hex + ".json");

    internal sealed record Stored(string?[][]? Root, string?[][]?[]? Steps);
}
