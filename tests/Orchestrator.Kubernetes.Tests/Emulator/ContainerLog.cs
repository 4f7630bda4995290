namespace Orchestrator.Kubernetes.Tests.Emulator;

/// <summary>One container's log as the kubelet keeps it: lines in order, and whether the container has ended.</summary>
public sealed class ContainerLog
{
    private readonly List<string> _lines = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Ended { get; private set; }

    public void Append(string line)
    {
        lock (_lines)
        {
            _lines.Add(line);
            Pulse();
        }
    }

    public void End()
    {
        lock (_lines)
        {
            Ended = true;
            Pulse();
        }
    }

    /// <summary>Lines from <paramref name="from"/> on, whether the log has ended, and a task that completes at the next change.</summary>
    public (List<string> Lines, bool Ended, Task Changed) Read(int from)
    {
        lock (_lines) return (_lines.Skip(from).ToList(), Ended, _changed.Task);
    }

    public int Count
    {
        get { lock (_lines) return _lines.Count; }
    }

    private void Pulse()
    {
        var previous = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        previous.TrySetResult();
    }
}
