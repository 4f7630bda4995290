using System.Globalization;
using System.Text.RegularExpressions;

namespace Orchestrator.Hosting;

/// <summary>Byte sizes as people and flags write them (<c>10GB</c>, <c>512MiB</c>) and durations (Go's form, <c>72h</c>, <c>1h30m</c>, and days, <c>14d</c>).</summary>
internal static partial class SizeAndDuration
{
    private static readonly (string Unit, long Factor)[] SizeUnits =
    [
        ("", 1), ("b", 1),
        ("kb", 1000), ("mb", 1000 * 1000), ("gb", 1000L * 1000 * 1000), ("tb", 1000L * 1000 * 1000 * 1000),
        ("k", 1000), ("m", 1000 * 1000), ("g", 1000L * 1000 * 1000), ("t", 1000L * 1000 * 1000 * 1000),
        ("kib", 1L << 10), ("mib", 1L << 20), ("gib", 1L << 30), ("tib", 1L << 40),
    ];

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

    /// <summary>A duration as Go writes one (<c>336h</c>, <c>1h30m</c>, <c>90s</c>), or a whole number of days (<c>14d</c>).</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        text = text.Trim();
        if (text.EndsWith('d') && int.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var days))
        {
            duration = TimeSpan.FromDays(days);
            return true;
        }
        return Dockerfiles.GoDuration.TryParse(text, out duration);
    }

    public static TimeSpan? DurationOrNull(string? text) => text is not null && TryParseDuration(text, out var duration) ? duration : null;

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
}
