using Orchestrator.Oci;

namespace Orchestrator.Caching;

/// <summary>
/// One input of a cache key as people may see it (plans, registry annotations): its name and either the value
/// itself (short, harmless values: keyword, flags, paths, platform) or the full digest of its encoding (commands,
/// build args, ENV values, file contents). A null <see cref="Value"/> is an absent input. Secrets never appear:
/// secret mounts are keyed by id and target only, and values that may be sensitive show only as digests.
/// </summary>
public sealed record CacheKeyPart(string Name, string? Value)
{
    /// <summary>The value for a one-line display: digests shortened to 12 hex digits, an absent value as <c>(none)</c>.</summary>
    public string Display => Value is null ? "(none)" : Digest.TryParse(Value, out var digest) ? digest.Algorithm + ":" + digest.Short : Value;

    public override string ToString() => Name + "=" + Display;
}
