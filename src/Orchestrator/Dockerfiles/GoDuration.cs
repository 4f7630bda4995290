using System.Globalization;
using System.Text;

namespace Orchestrator.Dockerfiles;

/// <summary>Durations written as Go writes them (<c>30s</c>, <c>1m30s</c>, <c>500ms</c>), as HEALTHCHECK flags take them.</summary>
public static class GoDuration
{
    private static readonly (string Unit, long Ticks)[] Units =
    [
        ("ns", 0), ("us", 10), ("µs", 10), ("ms", TimeSpan.TicksPerMillisecond),
        ("s", TimeSpan.TicksPerSecond), ("m", TimeSpan.TicksPerMinute), ("h", TimeSpan.TicksPerHour),
    ];

    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (text == "0") return true;
        if (text.Length == 0) return false;
        double ticks = 0;
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.')) i++;
            if (i == start) return false;
            if (!double.TryParse(text[start..i], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)) return false;
            var unitStart = i;
            while (i < text.Length && !char.IsAsciiDigit(text[i]) && text[i] != '.') i++;
            var unit = text[unitStart..i];
            var match = Units.FirstOrDefault(u => u.Unit == unit);
            if (match.Unit is null) return false;
            ticks += unit == "ns" ? number / 100 : number * match.Ticks;
        }
        duration = TimeSpan.FromTicks((long)Math.Ceiling(ticks)); // sub-tick values stay non-zero, so "too short" is still caught
        return true;
    }

    /// <summary>Writes the shortest Go form that parses back to the same value: <c>1m30s</c>, <c>1.5s</c>, <c>250ms</c>.</summary>
    public static string Format(TimeSpan duration)
    {
        if (duration == TimeSpan.Zero) return "0s";
        var ticks = duration.Ticks;
        var text = new StringBuilder();
        if (ticks % TimeSpan.TicksPerMillisecond != 0)
            return (ticks * 100).ToString(CultureInfo.InvariantCulture) + "ns";
        if (ticks % TimeSpan.TicksPerSecond != 0)
            return (ticks / TimeSpan.TicksPerMillisecond).ToString(CultureInfo.InvariantCulture) + "ms";
        var seconds = ticks / TimeSpan.TicksPerSecond;
        if (seconds >= 3600) text.Append(seconds / 3600).Append('h');
        if (seconds % 3600 >= 60) text.Append(seconds % 3600 / 60).Append('m');
        if (seconds % 60 != 0) text.Append(seconds % 60).Append('s');
        return text.ToString();
    }
}
