using Orchestrator.Planning;

namespace Orchestrator.Kubernetes;

/// <summary>A node built by a Job: its image by digest, which dependents name in their FROM / COPY --from.</summary>
public sealed record KubernetesStageResult(string Stage, string ImageReference, string JobName) : StageResult(Stage);
