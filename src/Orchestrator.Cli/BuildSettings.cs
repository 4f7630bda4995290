using Orchestrator.Planning;

namespace Orchestrator.Cli;

/// <summary>Everything <c>dotnet orchestrate build</c> was asked to do, parsed from the command line.</summary>
public sealed record BuildSettings
{
    public string ScriptPath { get; init; } = "build.csx";

    public IReadOnlyList<string> Targets { get; init; } = [];

    public bool PlanOnly { get; init; }

    public PlanFormat PlanFormat { get; init; } = PlanFormat.Text;

    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>();

    public int Jobs { get; init; } = Environment.ProcessorCount;

    public string Backend { get; init; } = "local";

    public bool NoPush { get; init; }

    public string? Output { get; init; }

    public string? CacheRepo { get; init; }

    public bool NoCache { get; init; }

    public string? CacheDirectory { get; init; }

    public IReadOnlyList<string> InsecureRegistries { get; init; } = [];

    public string Progress { get; init; } = "auto";

    public bool Verbose { get; init; }
}
