using System.Globalization;

namespace Orchestrator.Execution.Local;

/// <summary>
/// The id ranges of the user namespace this process runs in (<c>/proc/self/uid_map</c>, <c>gid_map</c>).
/// A process started by <c>dotnet orchestrate</c> for a user with subordinate ids is root of a namespace
/// that maps only those ids; the initial namespace maps the whole 32-bit range to itself.
/// </summary>
public static class UserNamespace
{
    public sealed record IdRange(uint Inside, uint Outside, uint Count);

    public static IReadOnlyList<IdRange> UidRanges() => Read("/proc/self/uid_map");

    public static IReadOnlyList<IdRange> GidRanges() => Read("/proc/self/gid_map");

    /// <summary>True when this process's user namespace maps <paramref name="gid"/>.</summary>
    public static bool MapsGroup(uint gid) => GidRanges().Any(r => r.Inside <= gid && gid - r.Inside < r.Count);

    /// <summary>A uid_map/gid_map text that maps each of these ranges to itself, for a child namespace.</summary>
    public static string IdentityMap(IReadOnlyList<IdRange> ranges) =>
        string.Concat(ranges.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Inside} {r.Inside} {r.Count}\n")));

    private static IReadOnlyList<IdRange> Read(string path)
    {
        if (!File.Exists(path)) return [new IdRange(0, 0, uint.MaxValue)];
        return File.ReadAllLines(path)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(parts => parts.Length == 3)
            .Select(parts => new IdRange(uint.Parse(parts[0], CultureInfo.InvariantCulture), uint.Parse(parts[1], CultureInfo.InvariantCulture), uint.Parse(parts[2], CultureInfo.InvariantCulture)))
            .ToList();
    }
}
