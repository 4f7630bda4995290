using System.Globalization;
using System.Text.RegularExpressions;

namespace Orchestrator.Cli;

/// <summary>The command line's byte sizes (<c>10GB</c>, <c>512MiB</c>) and durations (Go's form, <c>72h</c>, <c>1h30m</c>, and days, <c>14d</c>).</summary>
internal static partial class SizeAndDuration
{
    private static readonly (string Unit, long Factor)[] SizeUnits =
    [
        ("", 1), ("b", 1),
        ("kb", 1000), ("mb", 1000 * 1000), ("gb", 1000L * 1000 * 1000), ("tb", 1000L * 1000 * 1000 * 1000),
        ("k", 1000), ("m", 1000 * 1000), ("g", 1000L * 1000 * 1000), ("t", 1000L * 1000 * 1000 * 1000),
        ("kib", 1L << 10), ("mib", 1L << 20), ("gib", 1L << 30), ("tib", 1L << 40),
    ];

    private static readonly Dictionary<string, double> DurationUnits = new(StringComparer.Ordinal)
    {
        ["ns"] = 1e-9, ["us"] = 1e-6, ["µs"] = 1e-6, ["ms"] = 1e-3, ["s"] = 1, ["m"] = 60, ["h"] = 3600, ["d"] = 86400,
    };

    /// <summary>Bytes: a number with an optional unit, KB/MB/GB/TB in powers of 1000, KiB/MiB/GiB/TiB in powers of 1024.</summary>
    public static bool TryParseSize(string text, out long bytes)
    {
        bytes = 0;
        var match = SizePattern().Match(text.Trim());
        if (!match.Success) return false;
        var unit = match.Groups[2].Value.ToLowerInvariant();
        var factor = SizeUnits.FirstOrDefault(u => u.Unit == unit).Factor;
        if (factor == 0 || !double.TryParse(match.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)) return false;
        var value = number * factor;
        if (value > long.MaxValue) return false;
        bytes = (long)value;
        return true;
    }

    /// <summary>A duration as Go writes one (<c>336h</c>, <c>1h30m</c>, <c>90s</c>), also with days (<c>14d</c>).</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        text = text.Trim();
        if (text.Length == 0) return false;
        if (text == "0") return true;
        var seconds = 0.0;
        var position = 0;
        foreach (Match part in DurationPart().Matches(text))
        {
            if (part.Index != position) return false;
            if (!DurationUnits.TryGetValue(part.Groups[2].Value, out var unit)) return false;
            seconds += double.Parse(part.Groups[1].Value, CultureInfo.InvariantCulture) * unit;
            position = part.Index + part.Length;
        }
        if (position != text.Length || seconds > TimeSpan.MaxValue.TotalSeconds) return false;
        duration = TimeSpan.FromSeconds(seconds);
        return true;
    }

    /// <summary>Bytes for people: 1.5 GB (powers of 1000, as disks are sold).</summary>
    public static string FormatSize(long bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB"];
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1000 && unit < units.Length - 1)
        {
            value /= 1000;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : value.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)$")]
    private static partial Regex SizePattern();

    [GeneratedRegex(@"([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h|d)")]
    private static partial Regex DurationPart();
}
