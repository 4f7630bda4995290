using System.Text.Json;
using Orchestrator.Oci;
using Orchestrator.Recipes;

namespace Orchestrator.Caching;

/// <summary>
/// What a <c>COPY --from=stage</c> reads, remembered by the upstream stage's key (<see cref="CopyFromRequest.MemoKey"/>):
/// equal keys mean equal files, so a build that knows the key need not extract and hash the files again — on this
/// machine (<c>cache-index/copied/</c>) or, through the cache repo, on another one. One small JSON file per memo,
/// written atomically; a damaged one is simply not there.
/// </summary>
public sealed class CopiedContentMemo(string cacheDirectory)
{
    private readonly string _folder = Path.Combine(cacheDirectory, "cache-index", "copied");

    public SelectionDigest? TryGet(Digest memoKey)
    {
        try
        {
            return Parse(File.ReadAllText(PathOf(memoKey)));
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Put(Digest memoKey, SelectionDigest digest)
    {
        Directory.CreateDirectory(_folder);
        var path = PathOf(memoKey);
        var temp = path + $".tmp-{Guid.NewGuid():N}";
        try
        {
            File.WriteAllText(temp, Format(digest));
            File.Move(temp, path, overwrite: true);
        }
        catch (IOException)
        {
            // A memo only saves work.
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>The digest as one line of JSON (for the memo file and the cache repo's annotation).</summary>
    public static string Format(SelectionDigest digest) => JsonSerializer.Serialize(new Stored(
        digest.Digest.ToString(), digest.Entries, digest.Bytes, digest.Groups.Select(g => new[] { g.Key, g.Value.ToString() }).ToArray()), CacheJsonContext.Default.CopiedContentMemoStored);

    /// <summary>The digest written by <see cref="Format"/>, or null when the text is not one.</summary>
    public static SelectionDigest? Parse(string text)
    {
        try
        {
            var stored = JsonSerializer.Deserialize(text, CacheJsonContext.Default.CopiedContentMemoStored);
            if (stored?.Digest is null || !Digest.TryParse(stored.Digest, out var digest)) return null;
            var groups = new List<KeyValuePair<string, Digest>>();
            foreach (var group in stored.Groups ?? [])
            {
                if (group.Length != 2 || !Digest.TryParse(group[1], out var value)) return null;
                groups.Add(KeyValuePair.Create(group[0], value));
            }
            return new SelectionDigest(digest, stored.Entries, stored.Bytes) { Groups = groups.ToEquatableArray() };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private string PathOf(Digest memoKey) => Path.Combine(_folder, memoKey.Hex + ".json");

    internal sealed record Stored(string? Digest, int Entries, long Bytes, string[][]? Groups);
}
