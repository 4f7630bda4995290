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
/// step and removed before the snapshot, with any folder made only to hold them. Where the image
/// lacks the standard devices (its nodes could not be created, as for root of a user namespace) and
/// a private mount namespace is allowed, the host's are bound onto placeholders for the step. Paths inside the
/// root (working directory, secret targets) are resolved the way the chrooted process sees them:
/// symlinks are followed relative to the root folder, never to the host's root.
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
        var injected = new List<string>();
        var madeFolders = new List<(string Folder, Libc.Statx ParentBefore)>();
        try
        {
            foreach (var secret in request.Secrets)
                injected.Add(InjectSecret(rootfs, secret, madeFolders));
            var devices = await BindableDevicesAsync(rootfs, cancellationToken).ConfigureAwait(false);
            if (devices.Count > 0) injected.AddRange(PlaceDevicePlaceholders(rootfs, devices, madeFolders));
            // Part of the step's changes, as in Docker: a missing working directory appears in the layer.
            EnsureDirectoryInRoot(rootfs, workdir, []);

            // setpriv sets the gid and the supplementary groups while still root (as the overlay sandbox does);
            // unshare then enters the root folder and drops to the uid. Both by absolute path: the step's
            // PATH is the image's and need not reach the host's tools.
            var start = new ProcessStartInfo(HostTool("setpriv")) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
            start.Environment.Clear();
            foreach (var (key, value) in request.Environment) start.Environment[key] = value;
            start.Environment.TryAdd("PATH", DefaultPath);
            start.Environment.TryAdd("HOME", user.Home);
            var groups = user.SupplementaryGroups.Count == 0 ? "--clear-groups" : "--groups=" + string.Join(',', user.SupplementaryGroups);
            if (devices.Count > 0)
            {
                // A private mount namespace binds the host's devices onto the placeholders for this step only.
                start.FileName = HostTool("unshare");
                foreach (var arg in new[] { "--mount", "--propagation", "private", "/bin/sh", "-c", BindDevicesThenExec, "sh", HostTool("mount"), rootfs, string.Join(' ', devices), HostTool("setpriv") })
                    start.ArgumentList.Add(arg);
            }
            foreach (var arg in new[] { $"--regid={user.Gid}", groups, "--", HostTool("unshare"), $"--root={rootfs}", $"--wd={workdir}", $"--setuid={user.Uid}", "--" }.Concat(request.Command))
                start.ArgumentList.Add(arg);
            using var process = Process.Start(start) ?? throw new OrchestratorException("could not start 'setpriv' (util-linux); install util-linux.");
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
            RemoveInjected(injected, madeFolders);
            snapshot.WriteChangesAsUpper(Path.GetFullPath(request.UpperFolder));
            return process.ExitCode;
        }
        finally
        {
            RemoveInjected(injected, madeFolders);
        }
    }

    /// <summary>The devices a step gets when the image has none of its own (as the overlay sandbox's /dev has).</summary>
    private static readonly string[] StandardDevices = ["null", "zero", "full", "random", "urandom", "tty"];

    /// <summary>$1 = mount (host path), $2 = root folder, $3 = device names; then the command to exec. Exit 125 marks a setup failure.</summary>
    private const string BindDevicesThenExec =
        "mount=$1; root=$2; devices=$3; shift 3; for d in $devices; do \"$mount\" --bind \"/dev/$d\" \"$root/dev/$d\" || exit 125; done; exec \"$@\"";

    private static readonly Lazy<Task<bool>> MountNamespaceAllowed = new(async () =>
    {
        try
        {
            using var probe = Process.Start(new ProcessStartInfo(HostTool("unshare"), ["--mount", "true"]) { RedirectStandardError = true, UseShellExecute = false });
            if (probe is null) return false;
            await probe.WaitForExitAsync().ConfigureAwait(false);
            return probe.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    });

    /// <summary>
    /// Standard devices the image lacks — its device nodes could not be created, e.g. by root of a user
    /// namespace — that this host lets a private mount namespace bind in. Empty where mounts are not
    /// allowed (an unprivileged pod): there, extraction as the pod's root has created the image's nodes.
    /// </summary>
    private static async Task<IReadOnlyList<string>> BindableDevicesAsync(string rootfs, CancellationToken cancellationToken)
    {
        var missing = StandardDevices.Where(d => Libc.LinkStatus(Path.Combine(rootfs, "dev", d)) is null && File.Exists("/dev/" + d)).ToList();
        if (missing.Count == 0) return [];
        cancellationToken.ThrowIfCancellationRequested();
        return await MountNamespaceAllowed.Value.ConfigureAwait(false) ? missing : [];
    }

    /// <summary>Empty files to bind the devices onto; returns their host paths, to delete after the step like secrets.</summary>
    private static IEnumerable<string> PlaceDevicePlaceholders(string rootfs, IReadOnlyList<string> devices, List<(string Folder, Libc.Statx ParentBefore)> madeFolders)
    {
        var created = new List<(string Folder, Libc.Statx ParentBefore)>();
        var folder = EnsureDirectoryInRoot(rootfs, "dev", created);
        if (created.Count > 0) madeFolders.Add(created[0]);
        var placeholders = new List<string>();
        foreach (var device in devices)
        {
            var path = Path.Combine(folder, device);
            File.WriteAllBytes(path, []);
            placeholders.Add(path);
        }
        return placeholders;
    }

    /// <summary>Copies a secret to its target inside the root (0400); returns the host path to delete after the step.</summary>
    private static string InjectSecret(string rootfs, SandboxBind secret, List<(string Folder, Libc.Statx ParentBefore)> madeFolders)
    {
        if (!File.Exists(secret.HostPath))
            throw new OrchestratorException($"secret for {secret.Target}: file '{secret.HostPath}' does not exist; pass an existing file as the secret source.");
        var relative = LayerPath.Normalize(secret.Target.TrimStart('/'), "secret target");
        if (relative.Length == 0)
            throw new OrchestratorException($"secret target '{secret.Target}' is the image root; choose a file path such as /run/secrets/token.");
        var created = new List<(string Folder, Libc.Statx ParentBefore)>();
        var folder = EnsureDirectoryInRoot(rootfs, LayerPath.Parent(relative), created);
        if (created.Count > 0) madeFolders.Add(created[0]);
        var target = Path.Combine(folder, LayerPath.Name(relative));
        if (Libc.LinkStatus(target) is not null)
            throw new OrchestratorException($"secret target '{secret.Target}' already exists in the image; the chroot fallback cannot hide it for one step without changing the image. Choose a target that does not exist (e.g. /run/secrets/{LayerPath.Name(relative)}).");
        File.Copy(secret.HostPath, target);
        Libc.Chmod(target, 0x100); // 0400
        return target;
    }

    /// <summary>Deletes the injected secrets and device placeholders and the folders made only for them; the folder above gets its time back.</summary>
    private static void RemoveInjected(List<string> injected, List<(string Folder, Libc.Statx ParentBefore)> madeFolders)
    {
        foreach (var file in injected) File.Delete(file);
        injected.Clear();
        foreach (var (folder, parentBefore) in Enumerable.Reverse(madeFolders))
        {
            // The step may have written its own files there: then the folder is the step's, and stays.
            if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories).Any(File.Exists))
            {
                FolderDeleter.Delete(folder);
                var time = parentBefore.ModificationTime;
                Libc.SetTimes(Path.GetDirectoryName(folder)!, DateTimeOffset.FromUnixTimeSeconds(time.Seconds).AddTicks(time.Nanoseconds / 100));
            }
        }
        madeFolders.Clear();
    }

    /// <summary>
    /// The host folder of a directory path inside the root, as the chrooted process would resolve it
    /// (symlinks followed relative to the root, <c>..</c> never above it); missing folders are created
    /// (0755, root) and listed in <paramref name="created"/>, outermost first, each with its parent's
    /// metadata from before it was made.
    /// </summary>
    private static string EnsureDirectoryInRoot(string rootfs, string path, List<(string Folder, Libc.Statx ParentBefore)> created)
    {
        var current = rootfs;
        var pending = new LinkedList<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries));
        var links = 0;
        while (pending.First is { } first)
        {
            var part = first.Value;
            pending.RemoveFirst();
            if (part == ".") continue;
            if (part == "..")
            {
                if (current != rootfs) current = Path.GetDirectoryName(current)!;
                continue;
            }
            var next = Path.Combine(current, part);
            var status = Libc.LinkStatus(next);
            if (status is null)
            {
                var parentBefore = Libc.LinkStatus(current)!.Value;
                Directory.CreateDirectory(next);
                Libc.Chmod(next, 0x1ED); // 0755, like mkdir -p as root
                created.Add((next, parentBefore));
            }
            else if (FileKind.IsSymlink(status.Value))
            {
                if (++links > 40) throw new OrchestratorException($"'/{path}' in the image goes through too many symlinks (a loop?); fix the links or choose another path.");
                var target = new FileInfo(next).LinkTarget!;
                foreach (var segment in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse()) pending.AddFirst(segment);
                if (target.StartsWith('/')) current = rootfs;
                continue;
            }
            else if (!FileKind.IsDirectory(status.Value))
            {
                throw new OrchestratorException($"'/{path}' cannot be used as a folder in the image: '{Path.GetRelativePath(rootfs, next)}' is a file. Choose another path.");
            }
            current = next;
        }
        return current;
    }

    private static string HostTool(string name) =>
        new[] { "/usr/bin", "/bin", "/usr/sbin", "/sbin" }.Select(folder => Path.Combine(folder, name)).FirstOrDefault(File.Exists)
            ?? throw new OrchestratorException($"'{name}' (util-linux) was not found on this machine; install util-linux.");

    private static async Task Pump(StreamReader reader, SandboxStream stream, Action<SandboxOutputLine> onOutput)
    {
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line) onOutput(new SandboxOutputLine(stream, line));
    }
}
