using System.Diagnostics;
using System.Text;
using Orchestrator.Layers;

namespace Orchestrator.Execution.Local;

/// <summary>
/// Fallback for hosts where overlayfs in a user namespace is not permitted (unprivileged pods,
/// old kernels): the image is one flattened, writable folder (layers applied with
/// <see cref="WhiteoutMode.Apply"/>), the command runs chrooted into it, and the step's changes
/// are found by a <see cref="MetadataSnapshot"/> walk and written to the upper folder in overlay
/// form, so layer writing is identical to the overlay path. Needs the chroot capability (root in
/// the pod); without namespaces there is no private /proc, /dev, network switch or cache mount,
/// and those requests are refused rather than silently ignored. Secrets are copied in for the
/// step and removed before the snapshot.
/// </summary>
public sealed class ChrootSandbox : ISandbox
{
    private const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public bool StacksLayers => false;

    public async Task<int> RunAsync(SandboxRequest request, Action<SandboxOutputLine> onOutput, CancellationToken cancellationToken)
    {
        if (request.Layers.Count != 1)
            throw new OrchestratorException($"the chroot fallback runs on one flattened root folder, but {request.Layers.Count} layer folders were given; flatten them first (LayerExtractor with WhiteoutMode.Apply).");
        if (!request.Network)
            throw new OrchestratorException("Network(false) needs a network namespace, which this host does not allow (fallback sandbox); drop Network(false) or build where user namespaces are permitted.");
        if (request.CacheMounts.Count > 0)
            throw new OrchestratorException($"cache mount {request.CacheMounts[0].Target} needs mount namespaces, which this host does not allow (fallback sandbox); remove the cache mount or build where user namespaces are permitted.");
        if (Libc.GetEffectiveUserId() != 0)
            throw new OrchestratorException("the fallback sandbox needs to chroot, which requires root; neither overlay-in-user-namespace nor chroot is available to this process.");

        var rootfs = Path.GetFullPath(request.Layers[0]);
        var user = ImageUser.Resolve(request.User, new LayerStackView([rootfs]));
        var workdir = "/" + LayerPath.Normalize(request.WorkingDirectory.TrimStart('/'), "WORKDIR " + request.WorkingDirectory);
        var snapshot = MetadataSnapshot.Capture(rootfs);
        var injected = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var secret in request.Secrets)
            {
                var relative = LayerPath.Normalize(secret.Target.TrimStart('/'), "secret target");
                var target = Path.Combine(rootfs, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(secret.HostPath, target, overwrite: true);
                Libc.Chmod(target, 0x100); // 0400
                injected.Add(relative);
            }
            Directory.CreateDirectory(Path.Combine(rootfs, workdir.TrimStart('/')));

            var start = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
            start.Environment.Clear();
            foreach (var (key, value) in request.Environment) start.Environment[key] = value;
            start.Environment.TryAdd("PATH", DefaultPath);
            start.Environment.TryAdd("HOME", user.Home);
            foreach (var arg in new[] { $"--root={rootfs}", $"--wd={workdir}", $"--setuid={user.Uid}", $"--setgid={user.Gid}", "--" }.Concat(request.Command))
                start.ArgumentList.Add(arg);
            using var process = Process.Start(start) ?? throw new OrchestratorException("could not start 'unshare' (util-linux); install util-linux.");
            process.StandardInput.Close();
            var stdout = Pump(process.StandardOutput, SandboxStream.Stdout, onOutput);
            var stderr = Pump(process.StandardError, SandboxStream.Stderr, onOutput);
            try
            {
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                throw;
            }
            await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
            foreach (var relative in injected) File.Delete(Path.Combine(rootfs, relative));
            injected.Clear();
            snapshot.WriteChangesAsUpper(Path.GetFullPath(request.UpperFolder));
            return process.ExitCode;
        }
        finally
        {
            foreach (var relative in injected) File.Delete(Path.Combine(rootfs, relative));
        }
    }

    private static async Task Pump(StreamReader reader, SandboxStream stream, Action<SandboxOutputLine> onOutput)
    {
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line) onOutput(new SandboxOutputLine(stream, line));
    }
}
