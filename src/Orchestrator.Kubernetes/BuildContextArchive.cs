using System.Formats.Tar;
using System.IO.Compression;
using Orchestrator.Dockerfiles;
using Orchestrator.Oci;
using Orchestrator.Recipes;

namespace Orchestrator.Kubernetes;

/// <summary>
/// What one Job reads: the node's Dockerfile and its build context (the files the ignore file keeps) as one
/// deterministic tar.gz: entries in ordinal path order, owner 0:0, modes and whole-second modification times
/// as on disk, no user names, gzip without a time stamp. The same files give the same bytes, so the archive is
/// addressed by its digest and uploaded once. Layout inside, as the pod sees it under <c>/workspace</c>:
/// <c>Dockerfile</c>, <c>Dockerfile.dockerignore</c> (when the stage has its own ignore file) and <c>context/</c>.
/// </summary>
public static class BuildContextArchive
{
    public const string DockerfileName = "Dockerfile";
    public const string ContextFolder = "context";

    /// <summary>Writes the archive to <paramref name="path"/> and returns its digest and size.</summary>
    public static async Task<(Digest Digest, long Size)> WriteAsync(StageRecipe stage, string dockerfile, string path, CancellationToken cancellationToken)
    {
        await using (var file = File.Create(path))
        await using (var gzip = new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true))
        await using (var tar = new TarWriter(gzip, TarEntryFormat.Gnu, leaveOpen: true))
        {
            await WriteTextAsync(tar, DockerfileName, dockerfile, cancellationToken).ConfigureAwait(false);
            if (stage.IgnoreFile is { } ignoreFile && File.Exists(ignoreFile))
                await WriteTextAsync(tar, DockerfileName + DockerignoreMatcher.FileName, await File.ReadAllTextAsync(ignoreFile, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            await tar.WriteEntryAsync(Directory(ContextFolder + "/", (UnixFileMode)0x1ED, DateTimeOffset.UnixEpoch), cancellationToken).ConfigureAwait(false);
            if (stage.Context is { } context)
            {
                if (!System.IO.Directory.Exists(context))
                    throw new OrchestratorException($"{stage.Kind} '{stage.Name}': build context '{context}' does not exist; create it or point Context(...) at an existing folder");
                var ignore = await DockerignoreMatcher.LoadAsync(context, stage.IgnoreFile, cancellationToken).ConfigureAwait(false);
                await WriteTreeAsync(tar, context, "", ignore, cancellationToken).ConfigureAwait(false);
            }
        }
        await using var read = File.OpenRead(path);
        return (await Digest.Sha256Async(read, cancellationToken).ConfigureAwait(false), read.Length);
    }

    private static async Task WriteTreeAsync(TarWriter tar, string folder, string relative, DockerignoreMatcher ignore, CancellationToken cancellationToken)
    {
        var names = System.IO.Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).OfType<string>().ToList();
        names.Sort(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var path = Path.Combine(folder, name);
            var inContext = relative.Length == 0 ? name : relative + "/" + name;
            var entryName = ContextFolder + "/" + inContext;
            var info = new FileInfo(path);
            var time = DateTimeOffset.FromUnixTimeSeconds(new DateTimeOffset(info.LastWriteTimeUtc).ToUnixTimeSeconds());
            if (info.LinkTarget is { } target)
            {
                if (ignore.IsExcluded(inContext)) continue;
                await tar.WriteEntryAsync(new GnuTarEntry(TarEntryType.SymbolicLink, entryName) { LinkName = target, Mode = (UnixFileMode)0x1FF, ModificationTime = time, AccessTime = time, ChangeTime = time }, cancellationToken).ConfigureAwait(false);
            }
            else if (info.Attributes.HasFlag(FileAttributes.Directory))
            {
                if (!ignore.ShouldWalk(inContext)) continue;
                await tar.WriteEntryAsync(Directory(entryName + "/", info.UnixFileMode, time), cancellationToken).ConfigureAwait(false);
                await WriteTreeAsync(tar, path, inContext, ignore, cancellationToken).ConfigureAwait(false);
            }
            else if (!ignore.IsExcluded(inContext))
            {
                await using var content = File.OpenRead(path);
                await tar.WriteEntryAsync(new GnuTarEntry(TarEntryType.RegularFile, entryName) { Mode = info.UnixFileMode, ModificationTime = time, AccessTime = time, ChangeTime = time, DataStream = content }, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static GnuTarEntry Directory(string name, UnixFileMode mode, DateTimeOffset time) =>
        new(TarEntryType.Directory, name) { Mode = mode, ModificationTime = time, AccessTime = time, ChangeTime = time };

    private static Task WriteTextAsync(TarWriter tar, string name, string text, CancellationToken cancellationToken) =>
        tar.WriteEntryAsync(new GnuTarEntry(TarEntryType.RegularFile, name)
        {
            Mode = (UnixFileMode)0x1A4,
            ModificationTime = DateTimeOffset.UnixEpoch,
            AccessTime = DateTimeOffset.UnixEpoch,
            ChangeTime = DateTimeOffset.UnixEpoch,
            DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)),
        }, cancellationToken);

    /// <summary>Unpacks an archive (a stream of the tar.gz) into <paramref name="folder"/>: what the init container does in the pod.</summary>
    public static async Task ExtractAsync(Stream archive, string folder, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(folder);
        await using var gzip = new GZipStream(archive, CompressionMode.Decompress, leaveOpen: true);
        await TarFile.ExtractToDirectoryAsync(gzip, folder, overwriteFiles: true, cancellationToken).ConfigureAwait(false);
    }
}
