using System.Text;
using System.Text.Json;
using Orchestrator.Oci;

namespace Orchestrator.Caching;

/// <summary>
/// The inputs of each stage's last build on this machine (<c>cache-index/stages/</c>, one small JSON file per stage
/// name and context), so a plan can say why a step misses: the first input that differs from the last time
/// (<see cref="CacheKeyDifference"/>). Only what keys show is kept — names, short values and digests, never
/// contents or secrets. Written atomically; a damaged or missing file just means no reason is known. The same text
/// goes to the stage's cache repo (<see cref="RemoteKey"/>), so a machine that never built the stage knows it too.
/// </summary>
public sealed class StepHistory(string cacheDirectory)
{
    private readonly string _folder = Path.Combine(cacheDirectory, "cache-index", "stages");

    /// <summary>The stage's last recorded keys: its root's parts and each step's (null where a step had no key).</summary>
    public sealed record Entry(IReadOnlyList<CacheKeyPart>? Root, IReadOnlyList<IReadOnlyList<CacheKeyPart>?> Steps);

    public void Record(string stage, string? context, StageCacheKeys keys)
    {
        Directory.CreateDirectory(_folder);
        var path = PathOf(stage, context);
        var temp = path + $".tmp-{Guid.NewGuid():N}";
        try
        {
            File.WriteAllText(temp, Format(keys));
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
            return Parse(File.ReadAllText(PathOf(stage, context)));
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The text kept for a stage's keys (JSON of key part names and values).</summary>
    public static string Format(StageCacheKeys keys) => JsonSerializer.Serialize(new Stored(
        keys.Root?.Key.Parts.Select(p => new[] { p.Name, p.Value }).ToArray(),
        keys.Steps.Select(s => s.Key?.Parts.Select(p => new[] { p.Name, p.Value }).ToArray()).ToArray()), CacheJsonContext.Default.StepHistoryStored);

    /// <summary>The entry a <see cref="Format"/> text holds; null when it is not one.</summary>
    public static Entry? Parse(string text)
    {
        try
        {
            var stored = JsonSerializer.Deserialize(text, CacheJsonContext.Default.StepHistoryStored);
            return stored?.Steps is null ? null : new Entry(ToParts(stored.Root), stored.Steps.Select(ToParts).ToList());
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Where a stage's history is kept in its cache repo: the same on every machine, so by the stage's name and the
    /// repositories it is pushed to (not its context folder, which differs between machines).
    /// </summary>
    public static Digest RemoteKey(Recipes.StageRecipe stage) => Digest.Sha256(Encoding.UTF8.GetBytes(
        "stage history\n" + stage.Name + "\n" + string.Join("\n", stage.Destinations.Select(d => ImageReference.TryParse(d, out var r, out _) ? r.Name : d).Order(StringComparer.Ordinal))));

    private static IReadOnlyList<CacheKeyPart>? ToParts(string?[][]? parts) =>
        parts?.Where(p => p.Length == 2 && p[0] is not null).Select(p => new CacheKeyPart(p[0]!, p[1])).ToList();

    private string PathOf(string stage, string? context) =>
        Path.Combine(_folder, Digest.Sha256(Encoding.UTF8.GetBytes(stage + "\n" + context)).Hex + ".json");

    internal sealed record Stored(string?[][]? Root, string?[][]?[]? Steps);
}
