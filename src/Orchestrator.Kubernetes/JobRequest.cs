namespace Orchestrator.Kubernetes;

/// <summary>What one node's Job needs besides the options: its names, its context blob and its executor arguments.</summary>
public sealed record JobRequest(string BuildId, string Node, string JobName, string ContextBlob, long ContextSize, IReadOnlyList<string> ExecutorArgs);
