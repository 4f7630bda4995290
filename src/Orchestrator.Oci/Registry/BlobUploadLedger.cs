using System.Collections.Concurrent;

namespace Orchestrator.Oci.Registry;

/// <summary>
/// The blobs one <see cref="RegistryClient"/> has put into repositories of its registry, or is putting. A build sends
/// each new layer to its cache repo and to its destinations, and many cache entries share one config: with this, a
/// second upload of a blob to the same repository waits for the first instead of asking the registry again, and an
/// upload to another repository mounts the blob from one that has it instead of sending its bytes again.
/// Only successes are remembered: after a failed or cancelled upload the next caller tries on its own.
/// </summary>
internal sealed class BlobUploadLedger
{
    private readonly ConcurrentDictionary<(string Repository, Digest Digest), Entry> _entries = new();
    private long _order;

    /// <summary>
    /// Puts <paramref name="digest"/> into <paramref name="repository"/> once: <paramref name="upload"/> runs unless an
    /// upload of it there succeeded or is under way (then its outcome is <see cref="BlobUploadOutcome.AlreadyPresent"/>);
    /// it is given a repository of the same registry that has the blob, when one is known.
    /// </summary>
    public async Task<BlobUploadOutcome> UploadAsync(string repository, Digest digest, Func<string?, Task<BlobUploadOutcome>> upload, CancellationToken cancellationToken)
    {
        var key = (repository, digest);
        while (true)
        {
            var mine = new Entry(Interlocked.Increment(ref _order));
            var entry = _entries.GetOrAdd(key, mine);
            if (entry != mine)
            {
                if (await entry.Present.Task.WaitAsync(cancellationToken).ConfigureAwait(false)) return BlobUploadOutcome.AlreadyPresent;
                _entries.TryRemove(KeyValuePair.Create(key, entry));
                continue;
            }
            try
            {
                var outcome = await upload(await KnownSourceAsync(repository, digest, mine.Order, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
                mine.Present.SetResult(true);
                return outcome;
            }
            catch
            {
                _entries.TryRemove(KeyValuePair.Create(key, mine));
                mine.Present.SetResult(false);
                throw;
            }
        }
    }

    /// <summary>
    /// Another repository that has the blob from an upload begun earlier (waiting for it to end): uploads only wait on
    /// older ones, so two uploads of one blob to two repositories never wait on each other.
    /// </summary>
    private async Task<string?> KnownSourceAsync(string repository, Digest digest, long order, CancellationToken cancellationToken)
    {
        foreach (var ((other, blob), entry) in _entries)
        {
            if (blob != digest || other == repository || entry.Order > order) continue;
            if (await entry.Present.Task.WaitAsync(cancellationToken).ConfigureAwait(false)) return other;
        }
        return null;
    }

    private sealed class Entry(long order)
    {
        public long Order { get; } = order;

        public TaskCompletionSource<bool> Present { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
