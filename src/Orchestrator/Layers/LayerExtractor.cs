using System.Formats.Tar;
using System.Text;
using Orchestrator.Oci;

namespace Orchestrator.Layers;

/// <summary>
/// Applies one layer (plain tar, or gzip, zstd, bzip2 or xz, detected by magic bytes) to a folder.
/// Safety: entry names are normalised by <see cref="LayerPath"/>; nothing is ever written
/// through a symlink (a well-formed layer never needs it, and following one is how a hostile
/// layer reaches outside the folder). Ownership: applied with lchown when the process may;
/// otherwise recorded in the <see cref="LayerMarkers.OwnerXattr"/> xattr (files and directories)
/// so the layer writer can restore it. Device nodes need privilege and are skipped with a note
/// otherwise. The diffID is computed over the decompressed bytes in the same pass.
/// </summary>
public sealed class LayerExtractor
{
    private const string PaxXattrPrefix = "SCHILY.xattr.";

    private readonly LayerExtractionOptions _options;

    public LayerExtractor(LayerExtractionOptions? options = null) => _options = options ?? new LayerExtractionOptions();

    public async Task<LayerExtractionResult> ExtractAsync(Stream blob, string targetFolder, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(targetFolder);
        Stream tar;
        LayerCompression compression;
        try
        {
            (tar, compression) = await LayerCompressionDetector.OpenAsync(blob, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            throw NotReadable(e);
        }
        await using var digesting = new DigestingStream(tar);
        var run = new Run(_options, Path.GetFullPath(targetFolder));
        try
        {
            await using (var reader = new TarReader(digesting, leaveOpen: true))
            {
                while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
                    await run.ApplyAsync(entry, cancellationToken).ConfigureAwait(false);
            }
            // The diffID covers the whole tar, end-of-archive padding included.
            await digesting.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            throw NotReadable(e);
        }
        catch (FormatException e)
        {
            throw new OrchestratorException($"layer {_options.Label}: malformed tar header ({e.Message}). The blob is corrupt or not a layer.", e);
        }
        run.Finish();
        return new LayerExtractionResult(digesting.GetDigest(), compression, digesting.BytesProcessed, run.Entries, run.Skipped);
    }

    private OrchestratorException NotReadable(InvalidDataException e) =>
        new($"layer {_options.Label}: not a readable tar archive ({e.Message}). The blob is corrupt or not a layer.", e);

    /// <summary>State of one extraction.</summary>
    private sealed class Run(LayerExtractionOptions options, string root)
    {
        private readonly HashSet<string> _knownDirectories = new(StringComparer.Ordinal) { "" };
        private readonly HashSet<string> _written = new(StringComparer.Ordinal);
        private readonly List<(string Path, UnixFileMode Mode, DateTimeOffset Modified)> _directoryMetadata = [];
        private bool _canChown = Libc.GetEffectiveUserId() == 0;

        public int Entries { get; private set; }
        public int Skipped { get; private set; }

        public async Task ApplyAsync(TarEntry entry, CancellationToken cancellationToken)
        {
            Entries++;
            var path = LayerPath.Normalize(entry.Name, options.Label);
            if (path.Length == 0)
            {
                // The root entry ("./") describes the image root, which is not ours to change.
                return;
            }
            var name = LayerPath.Name(path);
            var parent = LayerPath.Parent(path);
            EnsureDirectory(parent, entry.Name);

            if (name == LayerMarkers.OpaqueWhiteout)
            {
                ApplyOpaque(parent);
                return;
            }
            if (name.StartsWith(LayerMarkers.WhiteoutPrefix + LayerMarkers.WhiteoutPrefix, StringComparison.Ordinal))
            {
                // Other ".wh..wh." names are AUFS bookkeeping (e.g. .wh..wh.plnk), not content.
                Skipped++;
                return;
            }
            if (name.StartsWith(LayerMarkers.WhiteoutPrefix, StringComparison.Ordinal))
            {
                ApplyWhiteout(LayerPath.Combine(parent, name[LayerMarkers.WhiteoutPrefix.Length..]), entry.Name);
                return;
            }

            var hostPath = LayerPath.OnHost(root, path);
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    CreateDirectory(path, hostPath);
                    SetOwner(hostPath, entry, isSymlink: false);
                    SetXattrs(hostPath, entry);
                    _directoryMetadata.Add((hostPath, entry.Mode, entry.ModificationTime));
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    ReplaceWith(path, hostPath);
                    await WriteFileAsync(hostPath, entry, cancellationToken).ConfigureAwait(false);
                    FinishEntry(hostPath, entry);
                    break;
                case TarEntryType.SymbolicLink:
                    ReplaceWith(path, hostPath);
                    File.CreateSymbolicLink(hostPath, entry.LinkName);
                    SetOwner(hostPath, entry, isSymlink: true);
                    Libc.SetTimes(hostPath, entry.ModificationTime);
                    break;
                case TarEntryType.HardLink:
                    ReplaceWith(path, hostPath);
                    CreateHardLink(hostPath, entry);
                    break;
                case TarEntryType.Fifo:
                    ReplaceWith(path, hostPath);
                    MakeNode(hostPath, FileKind.Fifo, 0, 0, entry.Name);
                    FinishEntry(hostPath, entry);
                    break;
                case TarEntryType.CharacterDevice or TarEntryType.BlockDevice:
                    var kind = entry.EntryType == TarEntryType.CharacterDevice ? FileKind.CharDevice : FileKind.BlockDevice;
                    var (major, minor) = DeviceNumbers(entry);
                    // Unprivileged, or root of a user namespace (EPERM): real devices are reserved to the initial namespace.
                    if (!_canChown || !TryMakeDevice(path, hostPath, kind, major, minor, entry.Name))
                    {
                        Skipped++;
                        options.OnNote?.Invoke($"layer {options.Label}: device node '{path}' ({major}:{minor}) skipped: creating device nodes needs privilege outside a user namespace; the image will not contain it when built here.");
                        return;
                    }
                    FinishEntry(hostPath, entry);
                    break;
                default:
                    Skipped++;
                    options.OnNote?.Invoke($"layer {options.Label}: entry '{entry.Name}' of type {entry.EntryType} is not supported and was skipped.");
                    return;
            }
            _written.Add(path);
        }

        /// <summary>Directory metadata last, deepest first: creating children would otherwise bump mtimes, and a read-only directory would refuse them.</summary>
        public void Finish()
        {
            foreach (var (path, mode, modified) in _directoryMetadata.OrderByDescending(d => d.Path.Length))
            {
                // A later entry may have replaced or removed the directory.
                if (Libc.LinkStatus(path) is not { } status || !FileKind.IsDirectory(status)) continue;
                Libc.Chmod(path, (uint)mode);
                Libc.SetTimes(path, modified);
            }
        }

        private void EnsureDirectory(string relativeDirectory, string entryName)
        {
            if (_knownDirectories.Contains(relativeDirectory)) return;
            EnsureDirectory(LayerPath.Parent(relativeDirectory), entryName);
            var hostPath = LayerPath.OnHost(root, relativeDirectory);
            var status = Libc.LinkStatus(hostPath);
            if (status is null)
            {
                Directory.CreateDirectory(hostPath);
            }
            else if (FileKind.IsSymlink(status.Value))
            {
                var target = new FileInfo(hostPath).LinkTarget;
                throw new OrchestratorException($"layer {options.Label}: entry '{entryName}' would be written through the symlink '{relativeDirectory}' (-> {target}), which can lead outside the layer folder; refusing. The layer is malformed or malicious.");
            }
            else if (!FileKind.IsDirectory(status.Value))
            {
                throw new OrchestratorException($"layer {options.Label}: entry '{entryName}' needs '{relativeDirectory}' to be a directory, but the layer made it a file. The layer is malformed.");
            }
            _knownDirectories.Add(relativeDirectory);
        }

        private void CreateDirectory(string path, string hostPath)
        {
            var status = Libc.LinkStatus(hostPath);
            if (status is { } s && !FileKind.IsDirectory(s)) Remove(path, hostPath);
            Directory.CreateDirectory(hostPath);
            _knownDirectories.Add(path);
        }

        /// <summary>Clears whatever is at the path so the entry can take its place (tar semantics: the later entry wins).</summary>
        private void ReplaceWith(string path, string hostPath)
        {
            if (Libc.LinkStatus(hostPath) is not null) Remove(path, hostPath);
        }

        private void Remove(string path, string hostPath)
        {
            FolderDeleter.Delete(hostPath);
            // Anything below may have been a known directory.
            _knownDirectories.RemoveWhere(d => d == path || d.StartsWith(path + "/", StringComparison.Ordinal));
        }

        private static async Task WriteFileAsync(string hostPath, TarEntry entry, CancellationToken cancellationToken)
        {
            var output = new FileStream(hostPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            await using (output.ConfigureAwait(false))
            {
                if (entry.DataStream is { } data)
                    await data.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
            }
        }

        private void FinishEntry(string hostPath, TarEntry entry)
        {
            // chown before chmod: chown clears setuid/setgid.
            SetOwner(hostPath, entry, isSymlink: false);
            Libc.Chmod(hostPath, (uint)entry.Mode);
            SetXattrs(hostPath, entry);
            Libc.SetTimes(hostPath, entry.ModificationTime);
        }

        private void SetOwner(string hostPath, TarEntry entry, bool isSymlink)
        {
            var uid = (uint)entry.Uid;
            var gid = (uint)entry.Gid;
            if (_canChown)
            {
                var errno = Libc.TryLchown(hostPath, uid, gid);
                if (errno == 0) return;
                // EINVAL: root of a user namespace whose id range does not hold this owner; record it for this entry only.
                if (errno == Libc.EPERM) _canChown = false;
                else if (errno != Libc.EINVAL) throw Libc.Failure("lchown", hostPath, errno);
            }
            // Files we create belong to us, which the sandbox maps to root; only other owners need a record.
            if (isSymlink || (uid == 0 && gid == 0)) return;
            var errnoX = Libc.TrySetXattr(hostPath, LayerMarkers.OwnerXattr, Encoding.ASCII.GetBytes($"{uid}:{gid}"));
            if (errnoX != 0)
                options.OnNote?.Invoke($"layer {options.Label}: could not record owner {uid}:{gid} of '{Path.GetFileName(hostPath)}' ({Libc.Failure("setxattr", hostPath, errnoX).Message}).");
        }

        private void SetXattrs(string hostPath, TarEntry entry)
        {
            if (entry is not PaxTarEntry pax) return;
            foreach (var (key, value) in pax.ExtendedAttributes)
            {
                if (!key.StartsWith(PaxXattrPrefix, StringComparison.Ordinal)) continue;
                var name = key[PaxXattrPrefix.Length..];
                // A layer must not be able to forge overlay markers or our owner record.
                if (LayerMarkers.IsInternalXattr(name)) continue;
                var errno = Libc.TrySetXattr(hostPath, name, Encoding.UTF8.GetBytes(value));
                if (errno != 0)
                    options.OnNote?.Invoke($"layer {options.Label}: xattr '{name}' on '{entry.Name}' not applied ({Libc.Failure("setxattr", hostPath, errno).Message}).");
            }
        }

        private void CreateHardLink(string hostPath, TarEntry entry)
        {
            var targetPath = LayerPath.Normalize(entry.LinkName, options.Label);
            if (targetPath.Length == 0)
                throw new OrchestratorException($"layer {options.Label}: hardlink '{entry.Name}' points at the root directory; the layer is malformed.");
            EnsureDirectory(LayerPath.Parent(targetPath), entry.LinkName);
            var targetHost = LayerPath.OnHost(root, targetPath);
            var status = Libc.LinkStatus(targetHost);
            if (status is { } s)
            {
                if (FileKind.IsDirectory(s))
                    throw new OrchestratorException($"layer {options.Label}: hardlink '{entry.Name}' points at directory '{entry.LinkName}'; hardlinks to directories are not allowed.");
                Libc.HardLink(targetHost, hostPath);
                return;
            }
            var lower = new LayerStackView(options.LowerLayers).Resolve(targetPath);
            if (lower is null)
                throw new OrchestratorException($"layer {options.Label}: hardlink '{entry.Name}' points at '{entry.LinkName}', which is neither in this layer nor in the layers below it. The layer is malformed, or its base layers are missing.");
            File.Copy(lower, hostPath);
            FinishEntry(hostPath, entry);
        }

        private bool TryMakeDevice(string path, string hostPath, uint kind, uint major, uint minor, string entryName)
        {
            ReplaceWith(path, hostPath);
            var errno = Libc.TryMknod(hostPath, kind | 0600, major, minor);
            if (errno == Libc.EPERM) return false;
            if (errno != 0)
                throw new OrchestratorException($"layer {options.Label}: could not create special file '{entryName}': {Libc.Failure("mknod", hostPath, errno).Message}.");
            return true;
        }

        private void MakeNode(string hostPath, uint kind, uint major, uint minor, string entryName)
        {
            var errno = Libc.TryMknod(hostPath, kind | 0600, major, minor);
            if (errno != 0)
                throw new OrchestratorException($"layer {options.Label}: could not create special file '{entryName}': {Libc.Failure("mknod", hostPath, errno).Message}.");
        }

        private void ApplyWhiteout(string hiddenPath, string entryName)
        {
            var hostPath = LayerPath.OnHost(root, hiddenPath);
            if (options.Whiteouts == WhiteoutMode.Apply)
            {
                if (Libc.LinkStatus(hostPath) is not null) Remove(hiddenPath, hostPath);
                return;
            }
            ReplaceWith(hiddenPath, hostPath);
            var errno = Libc.TryMknod(hostPath, FileKind.CharDevice, 0, 0);
            if (errno != 0)
                throw new OrchestratorException($"layer {options.Label}: could not store whiteout '{entryName}' as an overlay whiteout (0/0 character device): {Libc.Failure("mknod", hostPath, errno).Message}. Linux 5.8 or later is needed to build unprivileged.");
        }

        private void ApplyOpaque(string directory)
        {
            var hostPath = LayerPath.OnHost(root, directory);
            if (options.Whiteouts == WhiteoutMode.Apply)
            {
                // Opaque: nothing from earlier layers survives in this directory; this layer's own entries stay.
                foreach (var child in Directory.EnumerateFileSystemEntries(hostPath))
                {
                    var relative = LayerPath.Combine(directory, Path.GetFileName(child));
                    if (!_written.Contains(relative)) Remove(relative, child);
                }
                return;
            }
            var errno = Libc.TrySetXattr(hostPath, LayerMarkers.UserOpaqueXattr, "y"u8.ToArray());
            if (errno != 0)
                throw new OrchestratorException($"layer {options.Label}: could not mark '{directory}/' opaque (xattr {LayerMarkers.UserOpaqueXattr}): {Libc.Failure("setxattr", hostPath, errno).Message}. Put the cache folder on a filesystem with user xattrs (ext4, xfs, btrfs, tmpfs on Linux 6.6+).");
        }

        private static (uint Major, uint Minor) DeviceNumbers(TarEntry entry) => entry switch
        {
            PosixTarEntry posix => ((uint)posix.DeviceMajor, (uint)posix.DeviceMinor),
            _ => (0, 0),
        };
    }
}
