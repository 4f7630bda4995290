using Orchestrator.Recipes;

namespace Orchestrator.Caching;

/// <summary>The key of one step of a stage, or why it is not known yet (exactly one of <see cref="Key"/> and <see cref="Pending"/> is set).</summary>
/// <param name="Index">The step's position in the stage (0-based).</param>
public sealed record StepCacheKey(int Index, Instruction Instruction, CacheKey? Key, PendingKeyReason? Pending)
{
    public bool IsKnown => Key is not null;
}
