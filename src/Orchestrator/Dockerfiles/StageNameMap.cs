using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Orchestrator.Dockerfiles;

/// <summary>
/// Maps recipe stage names to names a Dockerfile accepts (<c>[a-z][a-z0-9_.-]*</c>), deterministically:
/// valid names stay; others are lower-cased with other characters turned into '-' (<c>web/build</c> →
/// <c>web-build</c>), prefixed with <c>stage-</c> when they do not start with a letter, and suffixed
/// <c>-2</c>, <c>-3</c>… on a clash. A stage named by its position ("0", "1", as unnamed Dockerfile stages
/// are) is written without <c>AS</c> when nothing needs it as a FROM base, so it keeps its name.
/// </summary>
internal sealed partial class StageNameMap
{
    private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);
    private readonly HashSet<string> _unnamed = new(StringComparer.Ordinal);

    /// <param name="ordered">Stage names in the order they are written.</param>
    /// <param name="usedAsBase">Stages some other written stage starts FROM.</param>
    public StageNameMap(IReadOnlyList<string> ordered, ISet<string> usedAsBase)
    {
        var taken = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ordered.Count; i++)
        {
            var name = ordered[i];
            if (name == i.ToString(CultureInfo.InvariantCulture) && !usedAsBase.Contains(name))
            {
                _names[name] = name;
                _unnamed.Add(name);
            }
            else if (IsValid(name) && taken.Add(name))
            {
                _names[name] = name;
            }
        }
        foreach (var name in ordered.Where(n => !_names.ContainsKey(n)))
        {
            var candidate = Sanitize(name);
            var unique = candidate;
            for (var n = 2; !taken.Add(unique); n++) unique = candidate + "-" + n.ToString(CultureInfo.InvariantCulture);
            _names[name] = unique;
        }
    }

    /// <summary>The name to write for a stage (in FROM … AS, FROM and COPY --from).</summary>
    public string this[string stage] => _names[stage];

    /// <summary>True for a stage written without <c>AS</c>; it is referred to by its index.</summary>
    public bool IsUnnamed(string stage) => _unnamed.Contains(stage);

    public bool Contains(string stage) => _names.ContainsKey(stage);

    private static bool IsValid(string name) => ValidName().IsMatch(name) && name != "scratch";

    private static string Sanitize(string name)
    {
        var text = new StringBuilder();
        foreach (var c in name.ToLowerInvariant())
            text.Append(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '.' or '-' ? c : '-');
        var result = text.ToString();
        if (result.Length == 0 || !char.IsAsciiLetterLower(result[0])) result = "stage-" + result;
        return result == "scratch" ? "scratch-stage" : result;
    }

    [GeneratedRegex("^[a-z][a-z0-9_.-]*$")]
    private static partial Regex ValidName();
}
