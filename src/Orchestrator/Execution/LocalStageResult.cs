using Orchestrator.Oci.Documents;
using Orchestrator.Planning;

namespace Orchestrator.Execution;

/// <summary>A stage built by the local builder: the image it made (for dependents) and its manifest.</summary>
public sealed record LocalStageResult(string Stage, LocalImage Image, ManifestDocument Manifest) : StageResult(Stage);
