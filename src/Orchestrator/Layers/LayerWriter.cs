using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using Orchestrator.Oci;

namespace Orchestrator.Layers;

/// <summary>
/// Writes layer entries as a deterministic OCI layer blob: PAX tar (System.Formats.Tar) with
/// fixed extended-header names, times per <see cref="TimestampPolicy"/>, no atime/ctime, empty
/// user/group names, numeric owners as intended; compressed with gzip or zstd. The tar is
/// streamed through two digesting streams (uncompressed → diffID, compressed → digest) straight
/// into the blob file, so memory stays flat whatever the layer size.
/// </summary>
public sealed class LayerWriter
{
    private readonly LayerWriterOptions _options;

    public LayerWriter(LayerWriterOptions? options = null) => _options = options ?? new LayerWriterOptions();

    /// <summary>Layer of what a step changed, from its overlay upper folder.</summary>
    public Task<LayerBlob> WriteOverlayUpperAsync(string upperFolder, string blobFolder, CancellationToken cancellationToken = default) =>
        WriteAsync(OverlayDiff.Enumerate(upperFolder), blobFolder, cancellationToken);

    /// <summary>Layer holding a plain folder's content at <paramref name="destination"/> (COPY results).</summary>
    public Task<LayerBlob> WriteFolderAsync(string folder, string destination, string blobFolder, (int Uid, int Gid)? owner = null, CancellationToken cancellationToken = default) =>
        WriteAsync(FolderSnapshot.Enumerate(folder, destination, owner), blobFolder, cancellationToken);

    /// <summary>
    /// Writes the entries in the order given (callers give a deterministic order) into
    /// <c>&lt;blobFolder&gt;/&lt;digest hex&gt;</c>.
    /// </summary>
    public async Task<LayerBlob> WriteAsync(IEnumerable<LayerEntry> entries, string blobFolder, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(blobFolder);
        var temp = Path.Combine(blobFolder, $".tmp-{Guid.NewGuid():N}");
        try
        {
            Digest diffId, digest;
            long uncompressedSize, size;
            var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            await using (file.ConfigureAwait(false))
            {
                var compressed = new DigestingStream(file, leaveOpen: true);
                var uncompressed = new DigestingStream(OpenCompressor(compressed), leaveOpen: false);
                var normalizer = new PaxHeaderNameNormalizer(uncompressed);
                await using (compressed.ConfigureAwait(false))
                {
                    await using (uncompressed.ConfigureAwait(false))
                    {
                        var writer = new TarWriter(normalizer, TarEntryFormat.Pax, leaveOpen: true);
                        await using (writer.ConfigureAwait(false))
                            await WriteEntriesAsync(writer, entries, cancellationToken).ConfigureAwait(false);
                        await normalizer.FlushAsync(cancellationToken).ConfigureAwait(false);
                        diffId = uncompressed.GetDigest();
                        uncompressedSize = uncompressed.BytesProcessed;
                    }
                    // Disposing the digesting stream disposed the compressor, which wrote its trailer.
                    digest = compressed.GetDigest();
                    size = compressed.BytesProcessed;
                }
            }
            var final = Path.Combine(blobFolder, digest.Hex);
            File.Move(temp, final, overwrite: true);
            return new LayerBlob(final, digest, size, diffId, uncompressedSize, _options.Compression);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    private Stream OpenCompressor(Stream output) => _options.Compression switch
    {
        LayerCompression.Gzip => new GZipStream(output, GzipLevel(), leaveOpen: true),
        LayerCompression.Zstd => new ZstdSharp.CompressionStream(output, _options.CompressionLevel ?? 3, leaveOpen: true),
        LayerCompression.None => new NonClosingStream(output),
        _ => throw new InvalidOperationException($"layers are written plain, gzip or zstd, not {_options.Compression}"),
    };

    private CompressionLevel GzipLevel() => _options.CompressionLevel switch
    {
        null => CompressionLevel.Fastest,
        0 => CompressionLevel.NoCompression,
        >= 7 => CompressionLevel.SmallestSize,
        >= 4 => CompressionLevel.Optimal,
        _ => CompressionLevel.Fastest,
    };

    private async Task WriteEntriesAsync(TarWriter writer, IEnumerable<LayerEntry> entries, CancellationToken cancellationToken)
    {
        var firstNames = new Dictionary<(ulong, ulong), string>();
        foreach (var entry in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var tarEntry = ToTarEntry(entry, firstNames);
            if (tarEntry.EntryType == TarEntryType.RegularFile && entry.SourcePath is { } source)
            {
                var content = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
                await using (content.ConfigureAwait(false))
                {
                    if (content.Length != entry.Size)
                        throw new OrchestratorException($"'{entry.Path}' changed size while the layer was being written ({entry.Size} → {content.Length} bytes); stop the process still writing to it.");
                    tarEntry.DataStream = content;
                    await writer.WriteEntryAsync(tarEntry, cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                await writer.WriteEntryAsync(tarEntry, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private PaxTarEntry ToTarEntry(LayerEntry entry, Dictionary<(ulong, ulong), string> firstNames)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in entry.Xattrs.OrderBy(x => x.Key, StringComparer.Ordinal))
            attributes["SCHILY.xattr." + name] = value;

        var (type, tarName) = entry.Kind switch
        {
            LayerEntryKind.Directory => (TarEntryType.Directory, entry.Path + "/"),
            LayerEntryKind.File => (TarEntryType.RegularFile, entry.Path),
            LayerEntryKind.Symlink => (TarEntryType.SymbolicLink, entry.Path),
            LayerEntryKind.HardLink => (TarEntryType.HardLink, entry.Path),
            LayerEntryKind.Whiteout => (TarEntryType.RegularFile, LayerPath.Combine(LayerPath.Parent(entry.Path), LayerMarkers.WhiteoutPrefix + LayerPath.Name(entry.Path))),
            LayerEntryKind.OpaqueWhiteout => (TarEntryType.RegularFile, LayerPath.Combine(entry.Path, LayerMarkers.OpaqueWhiteout)),
            LayerEntryKind.CharDevice => (TarEntryType.CharacterDevice, entry.Path),
            LayerEntryKind.BlockDevice => (TarEntryType.BlockDevice, entry.Path),
            LayerEntryKind.Fifo => (TarEntryType.Fifo, entry.Path),
            _ => throw new ArgumentOutOfRangeException(nameof(entry), entry.Kind, null),
        };
        string? linkName = entry.Kind is LayerEntryKind.Symlink or LayerEntryKind.HardLink ? entry.LinkTarget : null;

        // A second name of an inode already written becomes a hardlink to the first name.
        if (type == TarEntryType.RegularFile && entry.InodeKey is { } key)
        {
            if (firstNames.TryGetValue(key, out var first))
            {
                type = TarEntryType.HardLink;
                linkName = first;
            }
            else
            {
                firstNames[key] = entry.Path;
            }
        }

        var isMarker = entry.Kind is LayerEntryKind.Whiteout or LayerEntryKind.OpaqueWhiteout;
        var modified = _options.Timestamps.Apply(isMarker ? DateTimeOffset.UnixEpoch : entry.Modified);
        // mtime is given explicitly so the writer has nothing to derive from the clock.
        attributes["mtime"] = modified.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var tarEntry = new PaxTarEntry(type, tarName, attributes)
        {
            Mode = isMarker ? 0 : (UnixFileMode)entry.Mode,
            Uid = isMarker ? 0 : entry.Uid,
            Gid = isMarker ? 0 : entry.Gid,
            ModificationTime = modified,
            UserName = "",
            GroupName = "",
        };
        if (linkName is not null) tarEntry.LinkName = linkName;
        if (type is TarEntryType.CharacterDevice or TarEntryType.BlockDevice)
        {
            tarEntry.DeviceMajor = (int)entry.DeviceMajor;
            tarEntry.DeviceMinor = (int)entry.DeviceMinor;
        }
        return tarEntry;
    }

    /// <summary>Lets the uncompressed path close without closing the file underneath.</summary>
    private sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
