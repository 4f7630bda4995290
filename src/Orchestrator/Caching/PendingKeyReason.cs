using Orchestrator.Recipes;

namespace Orchestrator.Caching;

/// <summary>
/// Why a step's key cannot be computed yet: an input exists only once something else is built or read. Every later
/// step of the stage, and every stage built FROM it, waits for the same thing.
/// </summary>
/// <param name="Source">What must exist first: the stage or image a <c>COPY --from</c> reads, or null for a URL.</param>
/// <param name="Message">For the plan, e.g. <c>COPY --from=build: known once stage 'build' is built</c>.</param>
public sealed record PendingKeyReason(ImageSource? Source, string Message)
{
    /// <summary>The stage that must be built first, when it is one.</summary>
    public string? Stage => (Source as ImageSource.Stage)?.Name;

    public override string ToString() => Message;
}
