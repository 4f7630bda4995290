using System.Text;
using System.Text.RegularExpressions;

using System.Runtime.Versioning;

namespace Orchestrator.Tests.Conformance;

/// <summary>
/// Compares two root filesystems file by file (type, mode with setuid/setgid/sticky bits, owner, size,
/// content hash, link target, hardlink structure; never mtime) and lists every difference, not just
/// the first. Paths matching an ignore pattern (glob: <c>*</c> within a name, <c>**</c> across folders)
/// are left out on both sides: only files whose content is volatile by nature belong there.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class RootfsComparer(IEnumerable<string> ignoredPatterns)
{
    private readonly List<Regex> _ignored = ignoredPatterns.Select(ToRegex).ToList();

    public IReadOnlyList<string> Compare(RootfsSnapshot expected, RootfsSnapshot actual, string expectedName = "buildah", string actualName = "ours")
    {
        var differences = new List<string>();
        var paths = expected.Entries.Keys.Union(actual.Entries.Keys).Where(p => !IsIgnored(p)).Order(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var inExpected = expected.Entries.TryGetValue(path, out var e);
            var inActual = actual.Entries.TryGetValue(path, out var a);
            if (!inActual) differences.Add($"{path}: only in {expectedName} ({e})");
            else if (!inExpected) differences.Add($"{path}: only in {actualName} ({a})");
            else differences.AddRange(e!.Differences(a!, expectedName, actualName).Select(d => $"{path}: {d}"));
        }
        return differences;
    }

    public bool IsIgnored(string path) => _ignored.Any(r => r.IsMatch(path));

    public static string Report(IReadOnlyList<string> differences) =>
        new StringBuilder().AppendLine($"{differences.Count} difference(s):").AppendJoin(Environment.NewLine, differences.Select(d => "  " + d)).ToString();

    private static Regex ToRegex(string glob)
    {
        var pattern = new StringBuilder("^");
        for (var i = 0; i < glob.Length; i++)
        {
            if (glob[i] == '*' && i + 1 < glob.Length && glob[i + 1] == '*') { pattern.Append(".*"); i++; }
            else if (glob[i] == '*') pattern.Append("[^/]*");
            else pattern.Append(Regex.Escape(glob[i].ToString()));
        }
        return new Regex(pattern.Append('$').ToString(), RegexOptions.CultureInvariant);
    }
}
