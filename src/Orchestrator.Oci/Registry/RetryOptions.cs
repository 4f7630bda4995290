namespace Orchestrator.Oci.Registry;

/// <summary>Bounds of the retry policy: attempts and the exponential backoff window.</summary>
public sealed record RetryOptions
{
    /// <summary>Total attempts including the first; 1 disables retries.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Delay before the second attempt; doubles each time, with jitter, up to <see cref="MaxDelay"/>.</summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>For tests and local tools: retry almost at once.</summary>
    public static RetryOptions Fast { get; } = new() { MaxAttempts = 3, InitialDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(50) };
}
