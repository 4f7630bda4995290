using System.Diagnostics;
using Orchestrator.Layers;

namespace Orchestrator.Execution.Local;

/// <summary>
/// Picks the sandbox this host allows: <see cref="OverlaySandbox"/> when an overlay mount inside
/// the namespaces works (probed for real, once, in a scratch folder), else <see cref="ChrootSandbox"/>.
/// </summary>
public static class SandboxSelector
{
    /// <summary>True when overlayfs can be mounted the way <see cref="OverlaySandbox"/> mounts it.</summary>
    public static async Task<bool> OverlayWorksAsync(string scratchFolder, CancellationToken cancellationToken = default)
    {
        var probe = Path.Combine(Path.GetFullPath(scratchFolder), $".overlay-probe-{Guid.NewGuid():N}");
        try
        {
            foreach (var sub in new[] { "lower", "upper", "work", "merged" }) Directory.CreateDirectory(Path.Combine(probe, sub));
            if (HostTool.TryFind("unshare") is not { } unshare) return false;
            var start = new ProcessStartInfo(unshare) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false, WorkingDirectory = probe };
            if (Libc.GetEffectiveUserId() != 0) { start.ArgumentList.Add("--user"); start.ArgumentList.Add("--map-root-user"); }
            foreach (var arg in new[] { "--mount", "--pid", "--fork", "mount", "-t", "overlay", "overlay", "-o", "lowerdir=lower,upperdir=upper,workdir=work," + OverlaySandbox.MountFlags, "merged" })
                start.ArgumentList.Add(arg);
            using var process = Process.Start(start);
            if (process is null) return false;
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // unshare could not be started
        }
        finally
        {
            FolderDeleter.Delete(probe);
        }
    }

    public static async Task<ISandbox> SelectAsync(string scratchFolder, CancellationToken cancellationToken = default) =>
        await OverlayWorksAsync(scratchFolder, cancellationToken).ConfigureAwait(false) ? new OverlaySandbox() : new ChrootSandbox();
}
