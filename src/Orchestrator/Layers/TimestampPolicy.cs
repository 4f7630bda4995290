using System.Globalization;

namespace Orchestrator.Layers;

/// <summary>
/// What modification time a layer entry carries. Sub-second parts are always dropped; access and
/// change times are never written.
/// </summary>
public sealed record TimestampPolicy
{
    private TimestampPolicy(DateTimeOffset? epoch, bool fixedTime)
    {
        Epoch = epoch;
        IsFixed = fixedTime;
    }

    /// <summary>Keep the time found on disk (Docker's default).</summary>
    public static TimestampPolicy Keep { get; } = new(null, false);

    /// <summary>Times later than <paramref name="epoch"/> become <paramref name="epoch"/> (SOURCE_DATE_EPOCH semantics).</summary>
    public static TimestampPolicy ClampTo(DateTimeOffset epoch) => new(epoch, false);

    /// <summary>Every entry carries <paramref name="epoch"/> (reproducible builds).</summary>
    public static TimestampPolicy Fixed(DateTimeOffset epoch) => new(epoch, true);

    public DateTimeOffset? Epoch { get; }

    public bool IsFixed { get; }

    /// <summary>
    /// SOURCE_DATE_EPOCH (seconds) clamps when set; otherwise <paramref name="reproducible"/> pins
    /// every time to the Unix epoch; otherwise times are kept.
    /// </summary>
    public static TimestampPolicy Resolve(bool reproducible, string? sourceDateEpoch)
    {
        if (!string.IsNullOrWhiteSpace(sourceDateEpoch))
        {
            if (!long.TryParse(sourceDateEpoch, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
                throw new OrchestratorException($"SOURCE_DATE_EPOCH '{sourceDateEpoch}' is not a number of seconds since 1970-01-01; set it to e.g. the last commit time (git log -1 --format=%ct).");
            var epoch = DateTimeOffset.FromUnixTimeSeconds(seconds);
            return reproducible ? Fixed(epoch) : ClampTo(epoch);
        }
        return reproducible ? Fixed(DateTimeOffset.UnixEpoch) : Keep;
    }

    public DateTimeOffset Apply(DateTimeOffset time)
    {
        var whole = DateTimeOffset.FromUnixTimeSeconds(time.ToUnixTimeSeconds());
        if (Epoch is not { } epoch) return whole;
        return IsFixed || whole > epoch ? epoch : whole;
    }
}
