using k8s.Models;

namespace Orchestrator.Kubernetes;

/// <summary>Reads a pod's status for the reasons a node cannot finish, and words them for the user.</summary>
public static class PodFailure
{
    private static readonly HashSet<string> StuckReasons = new(StringComparer.Ordinal)
    {
        "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "CreateContainerConfigError", "CreateContainerError",
    };

    /// <summary>
    /// A waiting container that will not start by itself (an image that cannot be pulled, a missing secret); null otherwise.
    /// ErrImagePull alone is not final: the kubelet tries again, and reports ImagePullBackOff once it backs off.
    /// </summary>
    public static string? Stuck(V1Pod pod, KubernetesOptions options)
    {
        foreach (var status in (pod.Status?.InitContainerStatuses ?? []).Concat(pod.Status?.ContainerStatuses ?? []))
        {
            if (status.State?.Waiting is not { Reason: { } reason } waiting || !StuckReasons.Contains(reason)) continue;
            var detail = string.IsNullOrEmpty(waiting.Message) ? "" : $": {waiting.Message}";
            return reason.Contains("Image", StringComparison.Ordinal)
                ? $"container '{status.Name}' cannot start: image '{status.Image}' cannot be pulled ({reason}{detail}); check {(status.Name == JobManifest.ExecutorContainer ? "--executor-image" : "the context fetch image")} and that the cluster's nodes can pull it"
                : $"container '{status.Name}' cannot start ({reason}{detail}); check that the Secret '{options.PushSecret}' (--push-secret) and service account exist in the namespace";
        }
        return null;
    }

    /// <summary>Why a pod that ended in phase Failed failed, with the last lines of its log.</summary>
    public static string Describe(V1Pod pod, IReadOnlyList<string> lastLines)
    {
        var tail = lastLines.Count == 0 ? "" : "\nlast lines of the log:\n  " + string.Join("\n  ", lastLines);
        foreach (var status in pod.Status?.InitContainerStatuses ?? [])
            if (status.State?.Terminated is { ExitCode: not 0 } failed)
                return $"fetching the build context failed in init container '{status.Name}' (exit code {failed.ExitCode}{Reason(failed)}){Message(failed)}{tail}";
        var executor = pod.Status?.ContainerStatuses?.FirstOrDefault(s => s.Name == JobManifest.ExecutorContainer);
        if (executor?.State?.Terminated is { } terminated)
        {
            if (terminated.Reason == "OOMKilled")
                return $"the executor ran out of memory (OOMKilled, exit code {terminated.ExitCode}); give the pod more memory or make the step lighter{tail}";
            return $"the executor exited with code {terminated.ExitCode}{Reason(terminated)}{tail}";
        }
        var reason = pod.Status?.Reason is { } r ? $" ({r}: {pod.Status.Message})" : "";
        return $"the pod failed before the executor ran{reason}{tail}";
    }

    private static string Reason(V1ContainerStateTerminated terminated) =>
        terminated.Reason is null or "Error" or "Completed" ? "" : ", " + terminated.Reason;

    private static string Message(V1ContainerStateTerminated terminated) =>
        string.IsNullOrWhiteSpace(terminated.Message) ? "" : ": " + terminated.Message.Trim();

    /// <summary>True once the executor container has started (its log can be followed).</summary>
    public static bool ExecutorStarted(V1Pod pod) =>
        pod.Status?.ContainerStatuses?.FirstOrDefault(s => s.Name == JobManifest.ExecutorContainer)?.State is { Running: not null } or { Terminated: not null };
}
