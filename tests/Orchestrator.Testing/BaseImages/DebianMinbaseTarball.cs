namespace Orchestrator.Testing.BaseImages;

/// <summary>
/// A Debian bookworm root filesystem as a plain tar, made by <c>mmdebstrap --variant=minbase</c>
/// (about 30 s plus the download from Debian's mirror) and kept in <see cref="TestCache.Directory"/>
/// between runs. It is written under a temporary name and renamed, so a killed run never leaves a
/// half tarball behind; one creation is shared by every test of the process, and a lock file keeps
/// two test processes from running mmdebstrap at once.
/// </summary>
public static class DebianMinbaseTarball
{
    public const string Suite = "bookworm";

    private static readonly SemaphoreSlim Gate = new(1, 1);

    public static string CachedPath => Path.Combine(TestCache.Directory, $"debian-{Suite}-minbase.tar");

    /// <summary>The cached tarball's path, creating it first when it is missing.</summary>
    public static async Task<string> GetAsync(CancellationToken cancellationToken = default)
    {
        var path = CachedPath;
        if (File.Exists(path)) return path;
        await Gate.WaitAsync(cancellationToken);
        try
        {
            if (File.Exists(path)) return path;
            await using var processLock = await AcquireFileLockAsync(path + ".lock", cancellationToken);
            if (File.Exists(path)) return path;
            var temp = $"{path}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
            try
            {
                // Root of a user namespace (a non-root user's test host) may not mount /dev, /proc or /sys into the
                // chroot; minbase's maintainer scripts do without them, and the tar still gets its device entries.
                string[] mode = HostUser.IsNamespaceRoot ? ["--mode=root", "--skip=chroot/mount"] : [];
                var result = await ExternalTool.RunAsync("mmdebstrap", [.. mode, "--variant=minbase", "--format=tar", "--quiet", Suite, temp], TimeSpan.FromMinutes(15));
                result.EnsureSuccess();
                File.Move(temp, path, overwrite: false);
            }
            finally
            {
                File.Delete(temp);
            }
            return path;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>An exclusive lock on a file: another test process waits until this one has made the tarball.</summary>
    private static async Task<FileStream> AcquireFileLockAsync(string path, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddMinutes(20);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(500, cancellationToken);
            }
        }
    }
}
