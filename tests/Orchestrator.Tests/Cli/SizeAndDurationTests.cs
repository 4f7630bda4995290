using Orchestrator.Hosting;

namespace Orchestrator.Tests.Cli;

public sealed class SizeAndDurationTests
{
    [Theory]
    [InlineData("10GB", 10_000_000_000L)]
    [InlineData("500mb", 500_000_000L)]
    [InlineData("2GiB", 2L * 1024 * 1024 * 1024)]
    [InlineData("1.5kB", 1500L)]
    [InlineData("123", 123L)]
    public void Sizes_read_in_powers_of_1000_or_1024(string text, long bytes)
    {
        Assert.True(SizeAndDuration.TryParseSize(text, out var parsed));
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("10 apples")]
    [InlineData("GB")]
    [InlineData("-1GB")]
    [InlineData("")]
    public void Other_sizes_are_refused(string text) => Assert.False(SizeAndDuration.TryParseSize(text, out _));

    [Theory]
    [InlineData("72h", 72 * 3600)]
    [InlineData("1h30m", 5400)]
    [InlineData("14d", 14 * 86400)]
    [InlineData("90s", 90)]
    [InlineData("336h", 336 * 3600)]
    public void Durations_read_as_go_writes_them_and_in_days(string text, int seconds)
    {
        Assert.True(SizeAndDuration.TryParseDuration(text, out var parsed));
        Assert.Equal(TimeSpan.FromSeconds(seconds), parsed);
    }

    [Theory]
    [InlineData("two weeks")]
    [InlineData("72")]
    [InlineData("h")]
    [InlineData("1h 30m")]
    public void Other_durations_are_refused(string text) => Assert.False(SizeAndDuration.TryParseDuration(text, out _));
}
