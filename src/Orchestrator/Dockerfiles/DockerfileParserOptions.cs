namespace Orchestrator.Dockerfiles;

/// <summary>What a Dockerfile is parsed against, besides its text.</summary>
public sealed record DockerfileParserOptions
{
    /// <summary>Values given with <c>--build-arg NAME=VALUE</c>; they apply only to ARGs the Dockerfile declares.</summary>
    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>();

    /// <summary>The platform built for (<c>--platform</c>), which sets TARGETPLATFORM, TARGETOS, TARGETARCH, TARGETVARIANT; default linux/amd64.</summary>
    public string? TargetPlatform { get; init; }

    /// <summary>
    /// Optional: the ENV of a registry base image (from its config), so that <c>ENV PATH=/opt/bin:$PATH</c> sees the
    /// image's PATH as Docker does. Without it such variables are unknown: they expand to nothing and are listed in
    /// <see cref="DockerfileDocument.UnresolvedVariables"/>.
    /// </summary>
    public Func<string, IReadOnlyDictionary<string, string>?>? BaseImageEnvironment { get; init; }
}
