namespace Orchestrator.Kubernetes.Tests.Emulator;

/// <summary>A container the kubelet ran: its pod and Job, and when it started and ended (precise clock, for ordering checks).</summary>
public sealed record ContainerRun(string Pod, string Job, string Container, IReadOnlyList<string> Argv, DateTimeOffset Started, DateTimeOffset Finished, int ExitCode);
