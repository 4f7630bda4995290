using System.Globalization;
using System.Text.RegularExpressions;

namespace Orchestrator.Cli;

/// <summary>
/// Durations written the way Kaniko's flags take them (Go's <c>time.ParseDuration</c>): numbers with units, run
/// together — <c>336h</c>, <c>1h30m</c>, <c>90s</c>, <c>1.5h</c>. Units: ns, us (µs), ms, s, m, h.
/// </summary>
internal static partial class GoDuration
{
    [GeneratedRegex(@"\G(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")]
    private static partial Regex Part();

    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text)) return false;
        if (text == "0") return true;
        var at = 0;
        var ticks = 0.0;
        while (at < text.Length)
        {
            var match = Part().Match(text, at);
            if (!match.Success) return false;
            var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            ticks += value * match.Groups[2].Value switch
            {
                "ns" => TimeSpan.TicksPerMicrosecond / 1000.0,
                "us" or "µs" => TimeSpan.TicksPerMicrosecond,
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                _ => TimeSpan.TicksPerHour,
            };
            at += match.Length;
        }
        duration = TimeSpan.FromTicks((long)ticks);
        return true;
    }

    /// <summary>Adds a validator to <paramref name="option"/> whose message names the flag and the form it takes.</summary>
    public static void Validate(System.CommandLine.Option<string?> option)
    {
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string?>();
            if (value is not null && !TryParse(value, out _))
                result.AddError($"{option.Name} '{value}' is not a duration; write it like 336h, 72h30m or 90s");
        });
    }

    public static TimeSpan? ParseOrNull(string? text) => text is not null && TryParse(text, out var duration) ? duration : null;
}
