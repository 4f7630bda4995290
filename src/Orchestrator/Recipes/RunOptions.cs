namespace Orchestrator.Recipes;

/// <summary>A secret file mounted for one RUN step only (BuildKit's <c>--mount=type=secret</c>). Never part of a layer or a cache key.</summary>
public sealed record SecretMount(string Id, string? Target = null, bool Required = false)
{
    /// <summary>Where the secret appears inside the step: the target, or <c>/run/secrets/ID</c> like BuildKit.</summary>
    public string EffectiveTarget => Target ?? "/run/secrets/" + Id;
}

/// <summary>A persistent folder mounted for RUN steps (BuildKit's <c>--mount=type=cache</c>); kept across builds, never in a layer.</summary>
public sealed record CacheMount(string Target, string? Id = null, string Sharing = "shared");

/// <summary>Options of one RUN step: network, secret files, cache folders.</summary>
public sealed record RunOptions
{
    public static RunOptions Default { get; } = new();

    public bool Network { get; init; } = true;

    public EquatableArray<SecretMount> Secrets { get; init; } = [];

    public EquatableArray<CacheMount> CacheMounts { get; init; } = [];

    public bool IsDefault => this == Default;
}
