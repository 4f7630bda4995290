using System.Text;
using Orchestrator.Oci;

namespace Orchestrator.Caching;

/// <summary>
/// Remembered content digests of the files below one folder (a build context, a layer folder), valid while a file's
/// <see cref="FileIdentity"/> is unchanged. Stored as one file under <c>&lt;cacheDir&gt;/hash-memo/</c>, named by the
/// digest of the folder's path, replaced atomically (written to a temporary file, then renamed over the old one), so
/// a reader sees a whole memo or none. A memo that fails any check (magic, version, folder, length, the SHA-256 of
/// its body) is ignored as a whole: the price is rehashing, never a wrong digest. Concurrent builds may overwrite
/// each other's memo; the last rename wins and both are complete.
/// </summary>
internal sealed class FileHashMemo
{
    public const string FolderName = "hash-memo";

    private static readonly byte[] Magic = "ORCHMEMO"u8.ToArray();
    private const int FormatVersion = 1;
    private const int HeaderSize = 8 + 4 + 8 + 32;
    private const int MinimumEntrySize = 1 + 8 * 5 + 32;

    private readonly string _file;
    private readonly Dictionary<string, Entry> _entries;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private bool _changed;

    private readonly record struct Entry(FileIdentity Identity, Digest Digest);

    private FileHashMemo(string file, string scope, Dictionary<string, Entry> entries)
    {
        _file = file;
        Scope = scope;
        _entries = entries;
    }

    /// <summary>The folder whose files this memo covers (absolute).</summary>
    public string Scope { get; }

    public int Count => _entries.Count;

    public static string PathFor(string memoDirectory, string scope) =>
        Path.Combine(memoDirectory, Digest.Sha256(Encoding.UTF8.GetBytes(scope)).Hex[..32] + ".memo");

    /// <summary>The memo of <paramref name="scope"/>; empty when there is none or it is not valid.</summary>
    public static Task<FileHashMemo> LoadAsync(string memoDirectory, string scope, CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            var file = PathFor(memoDirectory, scope);
            return new FileHashMemo(file, scope, Read(file, scope, cancellationToken) ?? new Dictionary<string, Entry>(StringComparer.Ordinal));
        }, cancellationToken);

    public bool TryGet(string relativePath, in FileIdentity identity, out Digest digest)
    {
        _seen.Add(relativePath);
        if (_entries.TryGetValue(relativePath, out var entry) && entry.Identity == identity)
        {
            digest = entry.Digest;
            return true;
        }
        digest = default;
        return false;
    }

    public void Set(string relativePath, in FileIdentity identity, Digest digest)
    {
        _seen.Add(relativePath);
        _entries[relativePath] = new Entry(identity, digest);
        _changed = true;
    }

    /// <summary>
    /// Writes the memo when it changed. Entries of files not looked at in this run are kept while the file exists
    /// (another COPY may need them next time). A memo that cannot be written is skipped: it only costs time.
    /// </summary>
    public Task SaveAsync(CancellationToken cancellationToken) => !_changed ? Task.CompletedTask : Task.Run(() =>
    {
        foreach (var gone in _entries.Keys.Where(p => !_seen.Contains(p) && !Path.Exists(Path.Combine(Scope, p))).ToList())
            _entries.Remove(gone);
        var temporary = _file + $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
            Write(temporary, cancellationToken);
            File.Move(temporary, _file, overwrite: true);
            _changed = false;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            File.Delete(temporary);
        }
    }, cancellationToken);

    private void Write(string path, CancellationToken cancellationToken)
    {
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        file.Write(new byte[HeaderSize]);
        using var digesting = new DigestingStream(file, leaveOpen: true);
        using var buffered = new BufferedStream(digesting, 1 << 16);
        using (var writer = new BinaryWriter(buffered, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Scope);
            writer.Write(_entries.Count);
            var written = 0;
            foreach (var (relative, entry) in _entries)
            {
                if (++written % 4096 == 0) cancellationToken.ThrowIfCancellationRequested();
                writer.Write(relative);
                writer.Write(entry.Identity.Size);
                writer.Write(entry.Identity.ModifiedNanoseconds);
                writer.Write(entry.Identity.ChangedNanoseconds);
                writer.Write(entry.Identity.Inode);
                writer.Write(entry.Identity.Device);
                writer.Write(Convert.FromHexString(entry.Digest.Hex));
            }
        }
        buffered.Flush();
        var digest = digesting.GetDigest();
        var length = digesting.BytesProcessed;
        var header = new byte[HeaderSize];
        Magic.CopyTo(header, 0);
        BitConverter.TryWriteBytes(header.AsSpan(8), FormatVersion);
        BitConverter.TryWriteBytes(header.AsSpan(12), length);
        Convert.FromHexString(digest.Hex).CopyTo(header, 20);
        file.Position = 0;
        file.Write(header);
    }

    /// <summary>The entries of a valid memo file, or null when it is missing or fails a check.</summary>
    private static Dictionary<string, Entry>? Read(string path, string scope, CancellationToken cancellationToken)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
            Span<byte> header = stackalloc byte[HeaderSize];
            file.ReadExactly(header);
            if (!header[..8].SequenceEqual(Magic) || BitConverter.ToInt32(header[8..]) != FormatVersion) return null;
            var length = BitConverter.ToInt64(header[12..]);
            if (length != file.Length - HeaderSize) return null;
            var expected = Digest.FromHash(header[20..]);

            using var digesting = new DigestingStream(file, leaveOpen: true);
            var buffered = new BufferedStream(digesting, 1 << 16);
            using var reader = new BinaryReader(buffered, Encoding.UTF8, leaveOpen: true);
            if (reader.ReadString() != scope) return null;
            var count = reader.ReadInt32();
            if (count < 0 || count > length / MinimumEntrySize) return null;
            var entries = new Dictionary<string, Entry>(count, StringComparer.Ordinal);
            for (var i = 0; i < count; i++)
            {
                if (i % 4096 == 0) cancellationToken.ThrowIfCancellationRequested();
                var relative = reader.ReadString();
                var identity = new FileIdentity(reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64(), reader.ReadUInt64(), reader.ReadUInt64());
                entries[relative] = new Entry(identity, Digest.FromHash(reader.ReadBytes(32)));
            }
            // The body must end here, and all of it must hash to the header's digest.
            if (buffered.ReadByte() >= 0) return null;
            return digesting.BytesProcessed == length && digesting.GetDigest() == expected ? entries : null;
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or FormatException or ArgumentException or DecoderFallbackException)
        {
            // Missing, truncated, unreadable or garbled: start afresh.
            return null;
        }
    }
}
