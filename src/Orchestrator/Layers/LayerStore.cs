using System.Collections.Concurrent;
using Orchestrator.Oci;
using Orchestrator.Oci.Storage;

namespace Orchestrator.Layers;

/// <summary>
/// Content-addressed extracted layers: <c>&lt;cacheDir&gt;/layers/sha256/&lt;diffID hex&gt;/</c>, each
/// extracted once and reused by every later build. A folder appears only complete: extraction
/// goes to <c>layers/tmp/</c> and is renamed into place (rename is atomic on one filesystem);
/// when another process got there first, the rename fails and our copy is discarded.
/// Whiteouts are stored as overlayfs markers (<see cref="WhiteoutMode.OverlayMarkers"/>) so the
/// folders stack directly as lowerdirs. Handing out or storing a folder records its use in the
/// <see cref="CacheUsageLog"/> (never on the folder itself, whose times are the image's), so pruning removes the
/// least recently used folders first.
/// </summary>
public sealed class LayerStore
{
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _inFlight = new(StringComparer.Ordinal);
    private readonly Action<string>? _onNote;
    private readonly CacheUsageLog _usage;

    public LayerStore(string cacheDirectory, Action<string>? onNote = null)
    {
        CacheDirectory = Path.GetFullPath(cacheDirectory);
        _onNote = onNote;
        _usage = new CacheUsageLog(CacheDirectory);
    }

    public string CacheDirectory { get; }

    public string LayersDirectory => Path.Combine(CacheDirectory, "layers", "sha256");

    private string TempDirectory => Path.Combine(CacheDirectory, "layers", "tmp");

    public string PathFor(Digest diffId) => Path.Combine(LayersDirectory, diffId.Hex);

    public bool Contains(Digest diffId) => Directory.Exists(PathFor(diffId));

    /// <summary>Records that a build's image has this layer (for pruning, least recently used first), when its folder is here.</summary>
    public void MarkUsed(Digest diffId)
    {
        if (Contains(diffId)) _usage.Touch(CacheUsageLog.Layer, diffId.Hex);
    }

    /// <summary>
    /// Folder of the extracted layer, extracting it first when missing.
    /// <paramref name="openBlob"/> is only called on a miss; the blob's diffID is verified.
    /// </summary>
    /// <param name="lowerDiffIds">diffIDs of the layers below (bottom first), for hardlinks into lower content.</param>
    public Task<string> GetOrExtractAsync(Digest diffId, Func<CancellationToken, Task<Stream>> openBlob, IReadOnlyList<Digest>? lowerDiffIds = null, CancellationToken cancellationToken = default)
    {
        var final = PathFor(diffId);
        _usage.Touch(CacheUsageLog.Layer, diffId.Hex);
        if (Directory.Exists(final)) return Task.FromResult(final);
        // One extraction per layer within this process; other processes are handled by the rename race.
        var lazy = _inFlight.GetOrAdd(diffId.Hex, _ => new Lazy<Task<string>>(() => ExtractAsync(diffId, openBlob, lowerDiffIds ?? [], cancellationToken)));
        return AwaitAndForget(diffId.Hex, lazy);
    }

    private async Task<string> AwaitAndForget(string key, Lazy<Task<string>> lazy)
    {
        try
        {
            return await lazy.Value.ConfigureAwait(false);
        }
        finally
        {
            _inFlight.TryRemove(new KeyValuePair<string, Lazy<Task<string>>>(key, lazy));
        }
    }

    private async Task<string> ExtractAsync(Digest diffId, Func<CancellationToken, Task<Stream>> openBlob, IReadOnlyList<Digest> lowerDiffIds, CancellationToken cancellationToken)
    {
        var final = PathFor(diffId);
        CreatePrivateRoot();
        Directory.CreateDirectory(LayersDirectory);
        Directory.CreateDirectory(TempDirectory);
        var temp = Path.Combine(TempDirectory, $"{diffId.Hex}.{Environment.ProcessId}.{Guid.NewGuid():N}");
        try
        {
            var options = new LayerExtractionOptions
            {
                Whiteouts = WhiteoutMode.OverlayMarkers,
                LowerLayers = lowerDiffIds.Reverse().Select(PathFor).Where(Directory.Exists).ToList(),
                OnNote = _onNote,
                Label = diffId.ToString(),
            };
            LayerExtractionResult result;
            var blob = await openBlob(cancellationToken).ConfigureAwait(false);
            await using (blob.ConfigureAwait(false))
                result = await new LayerExtractor(options).ExtractAsync(blob, temp, cancellationToken).ConfigureAwait(false);
            if (result.DiffId != diffId)
                throw new OrchestratorException($"layer {diffId}: the blob's uncompressed content has digest {result.DiffId}, not the expected diffID. The blob is corrupt or the image config does not match it; pull the image again.");
            // Another process may have finished the same layer first; its copy is as good as ours.
            FolderPlacement.MoveIntoPlace(temp, final);
            return final;
        }
        catch
        {
            FolderDeleter.Delete(temp);
            throw;
        }
    }

    /// <summary>
    /// Moves a step's upper folder (overlay's, or the one the chroot fallback's metadata walk
    /// wrote) into the store as the folder of the layer written from it, so the next step stacks
    /// it without extracting the blob again. The upper folder already has the store's form (0/0
    /// whiteouts, <c>user.overlay.opaque</c>, owner records where the process could not chown);
    /// overlay's bookkeeping xattrs (origin, impure, uuid) are removed first because they describe
    /// the finished mount, and the markers a privileged or newer overlay may write instead
    /// (<c>trusted.overlay.opaque</c>, xattr whiteouts) are turned into the store's, which every
    /// reader of the store understands. The caller must have left out of the folder whatever the
    /// layer blob leaves out. The folder must be on the cache's filesystem (rename); when the
    /// layer is already stored, the upper folder is deleted instead.
    /// </summary>
    public string Adopt(Digest diffId, string upperFolder)
    {
        var final = PathFor(diffId);
        _usage.Touch(CacheUsageLog.Layer, diffId.Hex);
        upperFolder = Path.GetFullPath(upperFolder);
        if (!Directory.Exists(final))
        {
            ForgetMountState(upperFolder);
            foreach (var (_, hostPath, status) in new FileTreeWalker().Walk(upperFolder))
            {
                ToStoreMarkers(hostPath, status);
                ForgetMountState(hostPath);
            }
            CreatePrivateRoot();
            Directory.CreateDirectory(LayersDirectory);
            // Stored meanwhile by someone else: theirs stays, ours goes.
            FolderPlacement.MoveIntoPlace(upperFolder, final);
            return final;
        }
        FolderDeleter.Delete(upperFolder);
        return final;
    }

    /// <summary>
    /// Extracted layers hold image files with their real modes, setuid-root binaries included;
    /// other users of the machine must not reach them, so the store's root is owner-only.
    /// </summary>
    private void CreatePrivateRoot()
    {
        var root = Path.Combine(CacheDirectory, "layers");
        if (Directory.Exists(root)) return;
        Directory.CreateDirectory(root);
        Libc.Chmod(root, 0x1C0); // 0700
    }

    private static void ToStoreMarkers(string path, in Libc.Statx status)
    {
        if (FileKind.Of(status) == FileKind.Regular &&
            (Libc.GetXattr(path, LayerMarkers.UserWhiteoutXattr) is not null || Libc.GetXattr(path, LayerMarkers.TrustedWhiteoutXattr) is not null))
        {
            File.Delete(path);
            var errno = Libc.TryMknod(path, FileKind.CharDevice, 0, 0);
            if (errno != 0) throw new OrchestratorException($"could not store the whiteout '{path}' as an overlay whiteout (0/0 character device): {Libc.Failure("mknod", path, errno).Message}. Linux 5.8 or later is needed.");
        }
        else if (FileKind.IsDirectory(status) && LayerStackView.IsOpaque(path) && Libc.GetXattr(path, LayerMarkers.UserOpaqueXattr) is null)
        {
            var errno = Libc.TrySetXattr(path, LayerMarkers.UserOpaqueXattr, "y"u8.ToArray());
            if (errno != 0) throw new OrchestratorException($"could not mark '{path}' opaque (xattr {LayerMarkers.UserOpaqueXattr}): {Libc.Failure("setxattr", path, errno).Message}. Put the cache folder on a filesystem with user xattrs.");
        }
    }

    private static void ForgetMountState(string path)
    {
        foreach (var name in Libc.ListXattrs(path))
            if (LayerMarkers.IsInternalXattr(name) && name is not (LayerMarkers.UserOpaqueXattr or LayerMarkers.UserWhiteoutXattr or LayerMarkers.OwnerXattr))
                Libc.TryRemoveXattr(path, name);
    }

    /// <summary>Removes leftovers of extractions that were killed mid-way (safe to call at startup).</summary>
    public void RemoveStaleTemporaryFolders(TimeSpan olderThan)
    {
        if (!Directory.Exists(TempDirectory)) return;
        foreach (var folder in Directory.EnumerateDirectories(TempDirectory))
            if (DateTime.UtcNow - Directory.GetLastWriteTimeUtc(folder) > olderThan)
                FolderDeleter.Delete(folder);
    }
}
