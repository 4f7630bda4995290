namespace Orchestrator.Caching;

/// <summary>
/// The first input that differs between two keys of the same step, for a plan's "why it missed"
/// (<c>COPY app.py ./: content of app.py changed</c>).
/// </summary>
/// <param name="Part">The name of the differing part (for content, the top-level name that changed when known).</param>
/// <param name="Before">The earlier value as shown (null: the part was absent).</param>
/// <param name="After">The new value as shown (null: the part is gone).</param>
public sealed record CacheKeyDifference(string Part, string? Before, string? After, string Description)
{
    public static CacheKeyDifference? First(CacheKey before, CacheKey after) => First(before.Parts, after.Parts);

    /// <summary>The first part, in the new key's order, whose value differs, appeared or disappeared; null when the parts agree.</summary>
    public static CacheKeyDifference? First(IReadOnlyList<CacheKeyPart> before, IReadOnlyList<CacheKeyPart> after)
    {
        var differences = Differences(before, after).ToList();
        if (differences.Count == 0) return null;
        var first = differences[0];
        // The whole selection's digest comes first; a differing top-level name says more.
        if (first.Name == "content" && differences.FirstOrDefault(d => d.Name.StartsWith("content:", StringComparison.Ordinal)) is { Name: not null } named)
            first = named;
        return new CacheKeyDifference(first.Name, first.Before?.Display, first.After?.Display, Describe(first.Name, first.Before, first.After));
    }

    private static IEnumerable<(string Name, CacheKeyPart? Before, CacheKeyPart? After)> Differences(IReadOnlyList<CacheKeyPart> before, IReadOnlyList<CacheKeyPart> after)
    {
        var earlier = new Dictionary<string, CacheKeyPart>(StringComparer.Ordinal);
        foreach (var part in before) earlier.TryAdd(part.Name, part);
        var later = new HashSet<string>(StringComparer.Ordinal);
        foreach (var part in after)
        {
            if (!later.Add(part.Name)) continue;
            if (!earlier.TryGetValue(part.Name, out var old)) yield return (part.Name, null, part);
            else if (old.Value != part.Value) yield return (part.Name, old, part);
        }
        foreach (var part in earlier.Values.Where(p => !later.Contains(p.Name)))
            yield return (part.Name, part, null);
    }

    private static string Describe(string name, CacheKeyPart? before, CacheKeyPart? after)
    {
        var change = before is null ? "was added" : after is null ? "was removed" : "changed";
        var values = $"{before?.Display ?? "(none)"} → {after?.Display ?? "(none)"}";
        var (kind, subject) = name.IndexOf(':') is var colon and > 0 ? (name[..colon], name[(colon + 1)..]) : (name, "");
        return kind switch
        {
            "version" => "the cache key format changed",
            "parent" => "an earlier step (or the base) changed",
            "instruction" => $"the instruction changed ({values})",
            "manifest" => $"the base image changed ({values})",
            "platform" => $"the platform changed ({values})",
            "base" => $"the base changed ({values})",
            "arg" => before is null ? $"build arg {subject} is now set" : after is null ? $"build arg {subject} is no longer set" : $"build arg {subject} changed",
            "env" => $"ENV {subject} {change}",
            "content" when subject.Length > 0 => $"content of {subject} {change}",
            "content" => "the copied files changed",
            "url" => $"{subject} changed on the server ({values})",
            "chown" or "chmod" or "link" or "checksum" => $"--{kind} changed ({values})",
            _ when IsShown(before) && IsShown(after) => $"{name} changed ({values})",
            _ => $"{name} changed",
        };
    }

    // Digests of hidden values mean nothing to a reader; literal values do.
    private static bool IsShown(CacheKeyPart? part) => part?.Value is not { } value || !value.StartsWith("sha256:", StringComparison.Ordinal);
}
