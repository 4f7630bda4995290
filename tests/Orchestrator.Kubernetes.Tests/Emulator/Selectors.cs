using System.Text.Json.Nodes;

namespace Orchestrator.Kubernetes.Tests.Emulator;

/// <summary>labelSelector (<c>k=v</c>, <c>k==v</c>, <c>k!=v</c>, <c>k</c>, <c>!k</c>, comma = and) and fieldSelector (metadata.name, metadata.namespace, status.phase).</summary>
public static class Selectors
{
    public static Func<JsonObject, bool>? Parse(string? labelSelector, string? fieldSelector, out string? error)
    {
        error = null;
        var tests = new List<Func<JsonObject, bool>>();
        foreach (var term in Terms(labelSelector))
        {
            if (Split(term, out var key, out var op, out var value))
                tests.Add(o => Compare(Label(o, key), op, value));
            else if (term.StartsWith('!'))
                tests.Add(o => Label(o, term[1..]) is null);
            else if (IsLabelKey(term))
                tests.Add(o => Label(o, term) is not null);
            else
            {
                error = $"unable to parse requirement: invalid label selector term '{term}'";
                return null;
            }
        }
        foreach (var term in Terms(fieldSelector))
        {
            if (!Split(term, out var field, out var op, out var value) || field is not ("metadata.name" or "metadata.namespace" or "status.phase"))
            {
                error = $"field label not supported: {term}";
                return null;
            }
            tests.Add(o => Compare(Field(o, field), op, value));
        }
        return o => tests.All(t => t(o));
    }

    private static IEnumerable<string> Terms(string? selector) =>
        (selector ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static bool Split(string term, out string key, out string op, out string value)
    {
        foreach (var candidate in new[] { "!=", "==", "=" })
        {
            var at = term.IndexOf(candidate, StringComparison.Ordinal);
            if (at > 0)
            {
                key = term[..at].Trim();
                op = candidate == "!=" ? "!=" : "=";
                value = term[(at + candidate.Length)..].Trim();
                return true;
            }
        }
        key = op = value = "";
        return false;
    }

    private static bool Compare(string? actual, string op, string value) => op == "=" ? actual == value : actual != value;

    private static bool IsLabelKey(string term) => term.Length > 0 && term.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '/');

    private static string? Label(JsonObject o, string key) => o["metadata"]?["labels"]?[key]?.GetValue<string>();

    private static string? Field(JsonObject o, string field) => field switch
    {
        "metadata.name" => o["metadata"]?["name"]?.GetValue<string>(),
        "metadata.namespace" => o["metadata"]?["namespace"]?.GetValue<string>(),
        _ => o["status"]?["phase"]?.GetValue<string>(),
    };
}
