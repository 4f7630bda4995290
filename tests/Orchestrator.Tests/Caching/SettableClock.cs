namespace Orchestrator.Tests.Caching;

/// <summary>A clock the test moves by hand, for times to live and intervals.</summary>
internal sealed class SettableClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
