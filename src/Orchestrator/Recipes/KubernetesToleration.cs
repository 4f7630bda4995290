namespace Orchestrator.Recipes;

/// <summary>
/// A toleration of the build pods: <c>KEY=VALUE:EFFECT</c> (operator Equal) or <c>KEY:EFFECT</c> (operator Exists),
/// as <c>--toleration</c> writes it; the effect is NoSchedule, PreferNoSchedule or NoExecute.
/// </summary>
public sealed record KubernetesToleration(string Key, string? Value, string Effect)
{
    public static readonly IReadOnlyList<string> Effects = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

    public string Operator => Value is null ? "Exists" : "Equal";

    /// <summary>Reads <c>KEY[=VALUE]:EFFECT</c>; false with a message that names the problem.</summary>
    public static bool TryParse(string text, out KubernetesToleration toleration, out string error)
    {
        toleration = null!;
        var colon = text.LastIndexOf(':');
        if (colon <= 0)
        {
            error = $"toleration '{text}' is not KEY[=VALUE]:EFFECT, e.g. dedicated=builds:NoSchedule";
            return false;
        }
        var effect = text[(colon + 1)..];
        var keyValue = text[..colon];
        var equals = keyValue.IndexOf('=', StringComparison.Ordinal);
        var key = equals < 0 ? keyValue : keyValue[..equals];
        return TryCreate(key, equals < 0 ? null : keyValue[(equals + 1)..], effect, out toleration, out error);
    }

    public static bool TryCreate(string key, string? value, string effect, out KubernetesToleration toleration, out string error)
    {
        toleration = null!;
        if (string.IsNullOrWhiteSpace(key))
        {
            error = "a toleration needs a taint key, e.g. dedicated=builds:NoSchedule";
            return false;
        }
        if (!Effects.Contains(effect, StringComparer.Ordinal))
        {
            error = $"toleration '{key}': effect '{effect}' is not one of {string.Join(", ", Effects)}";
            return false;
        }
        toleration = new KubernetesToleration(key, value, effect);
        error = "";
        return true;
    }

    public override string ToString() => Value is null ? $"{Key}:{Effect}" : $"{Key}={Value}:{Effect}";
}
