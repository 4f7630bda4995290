using Orchestrator.Hosting;
using Orchestrator.Planning;

namespace Orchestrator.Cli;

/// <summary>Everything <c>dotnet orchestrate build</c> (or <c>executor</c>) was asked to do: the build, and how the CLI reports it.</summary>
internal sealed record BuildRequest(BuildSettings Settings)
{
    public bool PlanOnly { get; init; }

    public PlanFormat PlanFormat { get; init; } = PlanFormat.Text;

    /// <summary><c>auto</c> (live rows in a terminal, else plain), <c>plain</c> or <c>json</c>.</summary>
    public string Progress { get; init; } = "auto";

    public bool Verbose { get; init; }

    /// <summary>Files that receive the built image's digest / <c>name@digest</c> lines / <c>name:tag@digest</c> lines.</summary>
    public string? DigestFile { get; init; }

    public string? ImageNameWithDigestFile { get; init; }

    public string? ImageNameTagWithDigestFile { get; init; }
}
