using Orchestrator.Caching;
using Orchestrator.Oci.Documents;
using Orchestrator.Planning;

namespace Orchestrator.Execution;

/// <summary>A stage built by the local builder: the image it made (for dependents) and its manifest.</summary>
public sealed record LocalStageResult(string Stage, LocalImage Image, ManifestDocument Manifest) : StageResult(Stage)
{
    /// <summary>The stage's last step key (the root of stages built FROM it); null when its keys could not be computed.</summary>
    public CacheKey? Key { get; init; }

    /// <summary>The ARG values in scope at the stage's end: a stage built FROM this one starts with them, as in BuildKit 0.11.</summary>
    public IReadOnlyDictionary<string, string> Args { get; init; } = new Dictionary<string, string>();
}
