using System.Text.Json.Serialization;

namespace Orchestrator.Oci.Documents;

/// <summary>The <c>config</c> section of an image config: how a container of the image runs.</summary>
public sealed record ContainerConfig
{
    /// <summary>Docker's PATH for Linux containers whose image sets none (BuildKit's <c>system.DefaultPathEnv</c>).</summary>
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    [JsonPropertyName("User")]
    public string? User { get; init; }

    /// <summary>Keys are <c>port/proto</c>, e.g. <c>8080/tcp</c>; values are empty objects by the spec.</summary>
    [JsonPropertyName("ExposedPorts")]
    public IReadOnlyDictionary<string, EmptyObject>? ExposedPorts { get; init; }

    [JsonPropertyName("Env")]
    public IReadOnlyList<string>? Env { get; init; }

    [JsonPropertyName("Entrypoint")]
    public IReadOnlyList<string>? Entrypoint { get; init; }

    [JsonPropertyName("Cmd")]
    public IReadOnlyList<string>? Cmd { get; init; }

    [JsonPropertyName("Volumes")]
    public IReadOnlyDictionary<string, EmptyObject>? Volumes { get; init; }

    [JsonPropertyName("WorkingDir")]
    public string? WorkingDir { get; init; }

    [JsonPropertyName("Labels")]
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    [JsonPropertyName("StopSignal")]
    public string? StopSignal { get; init; }

    [JsonPropertyName("Healthcheck")]
    public HealthcheckConfig? Healthcheck { get; init; }

    [JsonPropertyName("OnBuild")]
    public IReadOnlyList<string>? OnBuild { get; init; }

    [JsonPropertyName("Shell")]
    public IReadOnlyList<string>? Shell { get; init; }

    [JsonPropertyName("ArgsEscaped")]
    public bool? ArgsEscaped { get; init; }
}

/// <summary>Serialises as <c>{}</c>: the value type of the spec's set-like maps (ports, volumes).</summary>
public sealed record EmptyObject
{
    public static EmptyObject Instance { get; } = new();
}

/// <summary>Docker's HEALTHCHECK settings; durations are nanoseconds on the wire.</summary>
public sealed record HealthcheckConfig
{
    /// <summary><c>["NONE"]</c>, <c>["CMD", args...]</c> or <c>["CMD-SHELL", command]</c>.</summary>
    [JsonPropertyName("Test")]
    public IReadOnlyList<string>? Test { get; init; }

    [JsonPropertyName("Interval")]
    public long? IntervalNanoseconds { get; init; }

    [JsonPropertyName("Timeout")]
    public long? TimeoutNanoseconds { get; init; }

    [JsonPropertyName("StartPeriod")]
    public long? StartPeriodNanoseconds { get; init; }

    [JsonPropertyName("StartInterval")]
    public long? StartIntervalNanoseconds { get; init; }

    [JsonPropertyName("Retries")]
    public int? Retries { get; init; }

    public static long ToNanoseconds(TimeSpan duration) => duration.Ticks * 100;
}
