using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using Orchestrator.Layers;
using Orchestrator.Oci;

namespace Orchestrator.Caching;

/// <summary>
/// SHA-256 of file contents for cache keys, so that hashing does not dominate a rebuild: a file whose
/// <see cref="FileIdentity"/> matches its memo entry is not read again, and the files that must be read are
/// hashed on every core. Memos live in <c>&lt;cacheDir&gt;/hash-memo/</c>, one per folder; <see cref="SaveMemosAsync"/>
/// writes the ones that changed. The counters say what a computation cost (tests prove the memo works with them).
/// </summary>
public sealed class FileContentHasher
{
    private const int BufferSize = 1 << 19;

    private readonly string? _memoDirectory;
    private readonly int _parallelism;
    private readonly long _racyWindowNanoseconds;
    private readonly ConcurrentDictionary<string, Lazy<Task<FileHashMemo>>> _memos = new(StringComparer.Ordinal);
    private long _bytesHashed;
    private int _filesHashed;
    private int _memoHits;

    /// <param name="cacheDirectory">The cache root; memos go to its <c>hash-memo</c> folder. Null: no memo (every file is read).</param>
    /// <param name="parallelism">Files hashed at once; 0 means one per core.</param>
    /// <param name="racyWindow">
    /// A file whose change time is this close to the moment it is read is hashed but not memoised: file times are
    /// coarse (a clock tick, up to 2 s on some filesystems), so a write in the same tick right after the read would
    /// leave the same identity with other content. Default 2 s; such a file is simply read again next time.
    /// </param>
    public FileContentHasher(string? cacheDirectory, int parallelism = 0, TimeSpan? racyWindow = null)
    {
        _memoDirectory = cacheDirectory is null ? null : Path.Combine(Path.GetFullPath(cacheDirectory), FileHashMemo.FolderName);
        _parallelism = parallelism > 0 ? parallelism : Environment.ProcessorCount;
        _racyWindowNanoseconds = (long)((racyWindow ?? TimeSpan.FromSeconds(2)).Ticks * 100);
    }

    /// <summary>Files hashed at once.</summary>
    public int Parallelism => _parallelism;

    /// <summary>Bytes of file content read and hashed (memo hits read none).</summary>
    public long BytesHashed => Interlocked.Read(ref _bytesHashed);

    public int FilesHashed => Volatile.Read(ref _filesHashed);

    /// <summary>Files whose digest came from a memo.</summary>
    public int MemoHits => Volatile.Read(ref _memoHits);

    /// <summary>The content digest of each file, in order.</summary>
    internal async Task<Digest[]> HashAsync(IReadOnlyList<FileToHash> files, CancellationToken cancellationToken)
    {
        var digests = new Digest[files.Count];
        var memos = new Dictionary<string, FileHashMemo?>(StringComparer.Ordinal);
        foreach (var scope in files.Select(f => f.Scope).Distinct())
            memos[scope] = await MemoAsync(scope, cancellationToken).ConfigureAwait(false);

        var misses = new List<int>();
        for (var i = 0; i < files.Count; i++)
        {
            var file = files[i];
            var memo = memos[file.Scope];
            bool hit;
            if (memo is null) hit = false;
            else lock (memo) hit = memo.TryGet(file.RelativePath, file.Identity, out digests[i]);
            if (hit) Interlocked.Increment(ref _memoHits);
            else misses.Add(i);
        }
        if (misses.Count == 0) return digests;

        // Largest first, one file per grab: a big file started last would leave the other cores idle.
        misses.Sort((a, b) => files[b].Identity.Size.CompareTo(files[a].Identity.Size));
        var options = new ParallelOptions { MaxDegreeOfParallelism = _parallelism, CancellationToken = cancellationToken };
        await Task.Run(() => Parallel.ForEach(
            System.Collections.Concurrent.Partitioner.Create(misses, EnumerablePartitionerOptions.NoBuffering),
            options,
            () => (Buffer: ArrayPool<byte>.Shared.Rent(BufferSize), Hash: IncrementalHash.CreateHash(HashAlgorithmName.SHA256)),
            (index, _, worker) =>
            {
                var file = files[index];
                var readAt = UnixNanosecondsNow();
                digests[index] = Hash(file.HostPath, worker.Buffer, worker.Hash, cancellationToken);
                Interlocked.Increment(ref _filesHashed);
                Remember(memos[file.Scope], file, digests[index], readAt);
                return worker;
            },
            worker =>
            {
                ArrayPool<byte>.Shared.Return(worker.Buffer);
                worker.Hash.Dispose();
            }), cancellationToken).ConfigureAwait(false);
        return digests;
    }

    /// <summary>Starts loading the memo of a folder, so that it is ready when its files are hashed.</summary>
    internal Task PreloadMemoAsync(string scope, CancellationToken cancellationToken) => MemoAsync(scope, cancellationToken);

    /// <summary>Writes every memo this hasher changed (atomically; see <see cref="FileHashMemo"/>).</summary>
    public async Task SaveMemosAsync(CancellationToken cancellationToken)
    {
        foreach (var memo in _memos.Values)
            if (await memo.Value.ConfigureAwait(false) is { } loaded)
                await loaded.SaveAsync(cancellationToken).ConfigureAwait(false);
    }

    // Loaded once per folder and shared by every caller, so it is not tied to one caller's cancellation.
    private async Task<FileHashMemo?> MemoAsync(string scope, CancellationToken cancellationToken) =>
        _memoDirectory is null ? null : await _memos.GetOrAdd(scope, s => new Lazy<Task<FileHashMemo>>(() => FileHashMemo.LoadAsync(_memoDirectory, s, CancellationToken.None))).Value.WaitAsync(cancellationToken).ConfigureAwait(false);

    private Digest Hash(string path, byte[] buffer, IncrementalHash hash, CancellationToken cancellationToken)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);
        long offset = 0;
        int read;
        while ((read = RandomAccess.Read(handle, buffer, offset)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            offset += read;
            if ((offset & ((1 << 26) - 1)) < read) cancellationToken.ThrowIfCancellationRequested(); // about every 64 MiB
        }
        Interlocked.Add(ref _bytesHashed, offset);
        return Digest.FromHash(hash.GetHashAndReset());
    }

    /// <summary>
    /// Memoises a digest only when the file is provably the one that was read: its identity is unchanged after the
    /// read, and its last change is older than the racy window before the read began.
    /// </summary>
    private void Remember(FileHashMemo? memo, FileToHash file, Digest digest, long readAt)
    {
        if (memo is null || file.Identity.ChangedNanoseconds >= readAt - _racyWindowNanoseconds) return;
        if (Libc.LinkStatus(file.HostPath) is not { } after || FileIdentity.Of(after) != file.Identity) return;
        lock (memo) memo.Set(file.RelativePath, file.Identity, digest);
    }

    private static long UnixNanosecondsNow() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
}
