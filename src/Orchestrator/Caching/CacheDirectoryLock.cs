using System.Runtime.InteropServices;

namespace Orchestrator.Caching;

/// <summary>
/// The lock that keeps pruning away from running builds: <c>&lt;cacheDir&gt;/lock</c>, taken with
/// <c>flock(2)</c>. A build holds it shared from start to end (any number of builds at once); pruning and the
/// collector after a build take it exclusive, so they run only while no build uses the folder, and a build that
/// starts meanwhile waits until they are done. The kernel drops the lock when its holder exits, however it exits
/// (SIGKILL included), so a killed build never blocks pruning. The descriptor is close-on-exec: RUN steps never
/// inherit it. Where the folder cannot be written there is no lock file and nothing to prune, so the build goes on
/// unlocked.
/// </summary>
public sealed class CacheDirectoryLock : IDisposable
{
    public const string FileName = "lock";

    private const int LockShared = 1, LockExclusive = 2, LockNonBlocking = 4, LockUnlock = 8;
    private const int OpenReadWrite = 2, OpenCreate = 0x40, OpenCloseOnExec = 0x80000;
    private const int WouldBlock = 11, Interrupted = 4;

    private int _descriptor;

    private CacheDirectoryLock(int descriptor, bool exclusive)
    {
        _descriptor = descriptor;
        IsExclusive = exclusive;
    }

    public bool IsExclusive { get; }

    /// <summary>The shared lock of a build; waits while a prune holds the folder.</summary>
    public static CacheDirectoryLock ForBuild(string cacheDirectory)
    {
        var descriptor = Open(cacheDirectory);
        if (descriptor < 0) return new CacheDirectoryLock(-1, exclusive: false);
        while (Flock(descriptor, LockShared) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Interrupted) continue;
            Close(descriptor);
            throw new OrchestratorException($"could not lock the cache folder {cacheDirectory} for the build (flock: {Marshal.GetPInvokeErrorMessage(errno)}); put --cache-dir on a local filesystem");
        }
        return new CacheDirectoryLock(descriptor, exclusive: false);
    }

    /// <summary>The exclusive lock, now, or null when a build (or another prune) holds the folder.</summary>
    public static CacheDirectoryLock? TryExclusive(string cacheDirectory)
    {
        var descriptor = Open(cacheDirectory);
        if (descriptor < 0) return null;
        if (Flock(descriptor, LockExclusive | LockNonBlocking) == 0) return new CacheDirectoryLock(descriptor, exclusive: true);
        var errno = Marshal.GetLastPInvokeError();
        Close(descriptor);
        if (errno is WouldBlock or Interrupted) return null;
        throw new OrchestratorException($"could not lock the cache folder {cacheDirectory} (flock: {Marshal.GetPInvokeErrorMessage(errno)}); put --cache-dir on a local filesystem");
    }

    /// <summary>The exclusive lock, once every build using the folder has ended; <paramref name="waiting"/> is called once if it must wait.</summary>
    public static async Task<CacheDirectoryLock> ExclusiveAsync(string cacheDirectory, Action waiting, CancellationToken cancellationToken)
    {
        var told = false;
        while (true)
        {
            if (TryExclusive(cacheDirectory) is { } held) return held;
            if (!Directory.Exists(cacheDirectory)) throw new OrchestratorException($"cache folder {cacheDirectory} does not exist; give the folder builds use with --cache-dir");
            if (!told) waiting();
            told = true;
            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
    }

    private static int Open(string cacheDirectory)
    {
        if (!Directory.Exists(cacheDirectory))
        {
            try
            {
                Directory.CreateDirectory(cacheDirectory);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                return -1;
            }
        }
        int descriptor;
        do descriptor = OpenNative(Path.Combine(cacheDirectory, FileName), OpenReadWrite | OpenCreate | OpenCloseOnExec, 0x1B6 /* 0666, less the umask */);
        while (descriptor < 0 && Marshal.GetLastPInvokeError() == Interrupted);
        return descriptor;
    }

    public void Dispose()
    {
        var descriptor = Interlocked.Exchange(ref _descriptor, -1);
        if (descriptor < 0) return;
        Flock(descriptor, LockUnlock);
        Close(descriptor);
    }

    [DllImport("libc", SetLastError = true, EntryPoint = "open")]
    private static extern int OpenNative([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mode);

    [DllImport("libc", SetLastError = true, EntryPoint = "flock")]
    private static extern int Flock(int descriptor, int operation);

    [DllImport("libc", SetLastError = true, EntryPoint = "close")]
    private static extern int Close(int descriptor);
}
