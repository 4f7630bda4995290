using System.Diagnostics;
using System.Text;
using Orchestrator.Layers;
using Orchestrator.Oci.Documents;

namespace Orchestrator.Execution.Local;

/// <summary>
/// Fallback for hosts where overlayfs in a user namespace is not permitted (unprivileged pods,
/// old kernels): the image is one flattened, writable folder (layers applied with
/// <see cref="WhiteoutMode.Apply"/>), the command runs chrooted into it, and the step's changes
/// are found by a <see cref="MetadataSnapshot"/> walk and written to the upper folder in overlay
/// form, so layer writing is identical to the overlay path. Needs the chroot capability (root in
/// the pod); without namespaces there is no private /proc, /dev or network switch, and those requests
/// are refused rather than silently ignored. A cache mount's folder is moved in for the step and back
/// after it (copied where it lives on another filesystem); concurrent steps sharing it do not see it meanwhile. Secrets are copied in for the
/// step and removed before the snapshot, with any folder made only to hold them; bind mounts are copied in and tmpfs
/// mounts are empty folders, both removed before the snapshot with what the image had there put back (SSH agent
/// sockets cannot be copied, and are refused). Every signal starts
/// at its default disposition (the .NET host ignores SIGPIPE, and an ignored signal survives exec).
/// Where this host allows mount, UTS, IPC and pid namespaces (machine root, root of a user namespace),
/// the step gets what the overlay sandbox gives it: its own /proc, a tmpfs /dev with the standard
/// devices, pts, shm and mqueue, /sys read-only where possible, hostname <c>buildkitsandbox</c>,
/// BuildKit's /etc/hosts and the host's /etc/resolv.conf; mount points the image lacks are made for
/// the step and removed before the snapshot, so none of it reaches the layer. Paths inside the
/// root (working directory, secret targets) are resolved the way the chrooted process sees them:
/// symlinks are followed relative to the root folder, never to the host's root.
/// </summary>
public sealed class ChrootSandbox : ISandbox
{

    public bool StacksLayers => false;

    public async Task<int> RunAsync(SandboxRequest request, Action<SandboxOutputLine> onOutput, CancellationToken cancellationToken)
    {
        SignalResettingEnv.EnsureSupported();
        if (request.Layers.Count != 1)
            throw new OrchestratorException($"the chroot fallback runs on one flattened root folder, but {request.Layers.Count} layer folders were given; flatten them first (LayerExtractor with WhiteoutMode.Apply).");
        if (!request.Network)
            throw new OrchestratorException("Network(false) needs a network namespace, which this host does not allow (fallback sandbox); drop Network(false) or build where user namespaces are permitted.");
        if (request.SshSockets.Count > 0)
            throw new OrchestratorException($"ssh mount {request.SshSockets[0].Target} forwards an SSH agent socket, which must be bound into the step; the chroot fallback sandbox cannot mount on this host. Build where user namespaces and overlayfs are permitted (--sandbox overlay), or drop the ssh mount and fetch what the step needs before the build.");
        if (Libc.GetEffectiveUserId() != 0)
            throw new OrchestratorException("the fallback sandbox needs to chroot, which requires root; neither overlay-in-user-namespace nor chroot is available to this process.");

        var rootfs = Path.GetFullPath(request.Layers[0]);
        var user = ImageUser.Resolve(request.User, new LayerStackView([rootfs]));
        var workdir = "/" + LayerPath.Normalize(request.WorkingDirectory.TrimStart('/'), "WORKDIR " + request.WorkingDirectory);
        var snapshot = MetadataSnapshot.Capture(rootfs);
        var injected = new List<string>();
        var madeFolders = new List<(string Folder, Libc.Statx ParentBefore)>();
        var mountPoints = new List<MountPoint>();
        var placed = new List<PlacedMount>();
        // The step's hosts file, next to the upper folder: outside the root, gone with the run.
        var files = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(request.UpperFolder))!, $".sandbox-{Guid.NewGuid():N}");
        try
        {
            foreach (var secret in request.Secrets)
                injected.Add(InjectSecret(rootfs, secret, madeFolders));
            PlaceMounts(rootfs, request, files, placed, madeFolders);
            var namespaces = await NamespacesAllowed.Value.ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            var setup = namespaces ? PrepareMounts(rootfs, files, madeFolders, mountPoints) + ReadOnlyBinds(placed) : "";
            // Part of the step's changes, as in Docker: a missing working directory appears in the layer.
            EnsureDirectoryInRoot(rootfs, workdir, []);

            var start = new ProcessStartInfo(namespaces ? HostTool.Find("unshare") : "/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
            // Own mount, UTS, IPC and pid namespaces: the mounts and the hostname are the step's alone, and the
            // whole step dies with its first process.
            if (namespaces)
                foreach (var arg in new[] { "--mount", "--propagation", "private", "--uts", "--ipc", "--pid", "--fork", "--kill-child", "/bin/sh" })
                    start.ArgumentList.Add(arg);
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(Script(setup, request, rootfs, workdir, user));
            using var process = Process.Start(start) ?? throw new OrchestratorException($"could not start '{start.FileName}'.");
            process.StandardInput.Close();
            string? setupFailure = null;
            void Forward(SandboxOutputLine line)
            {
                if (line.Stream == SandboxStream.Stderr && line.Text.StartsWith(OverlaySandbox.SetupFailurePrefix, StringComparison.Ordinal)) setupFailure = line.Text[OverlaySandbox.SetupFailurePrefix.Length..];
                onOutput(line);
            }
            var stdout = Pump(process.StandardOutput, SandboxStream.Stdout, Forward);
            var stderr = Pump(process.StandardError, SandboxStream.Stderr, Forward);
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
            RemoveMountPoints(mountPoints);
            RemovePlaced(placed);
            RemoveInjected(injected, madeFolders);
            if (process.ExitCode == OverlaySandbox.SetupFailureExitCode && setupFailure is not null)
                throw new OrchestratorException($"the step sandbox could not be set up: {setupFailure.TrimEnd('.')}.");
            snapshot.WriteChangesAsUpper(Path.GetFullPath(request.UpperFolder));
            return process.ExitCode;
        }
        finally
        {
            RemoveMountPoints(mountPoints);
            RemovePlaced(placed);
            RemoveInjected(injected, madeFolders);
            FolderDeleter.Delete(files);
        }
    }

    /// <summary>
    /// The step's shell: the mounts (<paramref name="setup"/>, empty without namespaces), then <c>env</c>
    /// (the step's environment only; every signal back at its default disposition), <c>setpriv</c> (gid and
    /// supplementary groups, while still root, as the overlay sandbox does) and <c>unshare</c> (enters the
    /// root folder, drops to the uid). Host tools by absolute path: the step's PATH is the image's.
    /// </summary>
    private static string Script(string setup, SandboxRequest request, string rootfs, string workdir, ImageUser user)
    {
        static string Q(string s) => ShellQuote.Quote(s);
        var s = new StringBuilder();
        s.AppendLine("set -u");
        s.AppendLine($"fail() {{ printf '%s\\n' \"{OverlaySandbox.SetupFailurePrefix}$1\" >&2; exit {OverlaySandbox.SetupFailureExitCode}; }}");
        s.Append(setup);
        var environment = new Dictionary<string, string>(request.Environment, StringComparer.Ordinal);
        environment.TryAdd("PATH", ContainerConfig.DefaultPath);
        environment.TryAdd("HOME", user.Home);
        s.Append("exec ").Append(Q(HostTool.Find("env", "coreutils"))).Append(" -i --default-signal --");
        foreach (var (key, value) in environment.OrderBy(e => e.Key, StringComparer.Ordinal)) s.Append(' ').Append(Q(key + "=" + value));
        var groups = user.SupplementaryGroups.Count == 0 ? "--clear-groups" : "--groups=" + string.Join(',', user.SupplementaryGroups);
        s.Append(' ').Append(Q(HostTool.Find("setpriv"))).Append($" --regid={user.Gid} {groups} --");
        s.Append(' ').Append(Q(HostTool.Find("unshare"))).Append(' ').Append(Q("--root=" + rootfs)).Append(' ').Append(Q("--wd=" + workdir)).Append($" --setuid={user.Uid} --");
        foreach (var arg in request.Command) s.Append(' ').Append(Q(arg));
        s.AppendLine();
        return s.ToString();
    }

    /// <summary>A placeholder file made in an existing folder of the root, with that folder's times to put back.</summary>
    private sealed record MountPoint(string Path, DateTimeOffset ParentBefore, DateTimeOffset ParentAfter);

    /// <summary>
    /// Makes the mount points the image lacks (folders recorded in <paramref name="madeFolders"/>, files in
    /// <paramref name="mountPoints"/>) and returns the shell lines that mount the step's /proc, /dev, /sys,
    /// /etc/hosts and /etc/resolv.conf and set its hostname. Targets are the host folders the chroot sees
    /// at those paths; an /etc/hosts or /etc/resolv.conf that is not a regular file (a link the host would
    /// follow outside the root) is left as the image has it.
    /// </summary>
    private static string PrepareMounts(string rootfs, string files, List<(string Folder, Libc.Statx ParentBefore)> madeFolders, List<MountPoint> mountPoints)
    {
        static string Q(string s) => ShellQuote.Quote(s);
        string Folder(string path)
        {
            var created = new List<(string Folder, Libc.Statx ParentBefore)>();
            var folder = EnsureDirectoryInRoot(rootfs, path, created);
            if (created.Count > 0) madeFolders.Add(created[0]);
            return folder;
        }
        var s = new StringBuilder();
        s.AppendLine($"mount -t proc proc {Q(Folder("proc"))} 2>/dev/null || true");
        // Root of the machine, or of the user namespace `dotnet orchestrate` enters: a fresh sysfs is tried (the
        // machine's root gets it), devpts gives the terminals to the tty group where that group exists.
        var kernelMounts = new KernelMounts(Folder("dev"), Folder("sys"), SysfsAllowed: true, TtyGroupMapped: UserNamespace.MapsGroup(KernelMounts.TtyGroup));
        s.Append(MountPlan.PrepareKernelFileSystems(kernelMounts, Path.Combine(files, "kernel-fs")));
        var binds = new List<(string Host, string Name)> { (MountPlan.WriteHostsFile(files), "hosts") };
        if (File.Exists("/etc/resolv.conf")) binds.Add(("/etc/resolv.conf", "resolv.conf"));
        var etc = Folder("etc");
        foreach (var (host, name) in binds)
        {
            var target = Path.Combine(etc, name);
            if (Libc.LinkStatus(target) is { } existing)
            {
                if (FileKind.Of(existing) != FileKind.Regular) continue;
            }
            else
            {
                var before = Libc.LinkStatus(etc)!.Value.ModificationTime;
                File.WriteAllBytes(target, []);
                mountPoints.Add(new MountPoint(target, ToTime(before), ToTime(Libc.LinkStatus(etc)!.Value.ModificationTime)));
            }
            s.AppendLine($"mount -o bind,ro {Q(host)} {Q(target)} || fail {Q($"binding /etc/{name} failed")}");
        }
        s.Append(MountPlan.HostnameScript());
        return s.ToString();
    }

    /// <summary>
    /// Deletes the placeholder files; their folder gets its time back, unless the step changed the folder
    /// itself (then it keeps the step's time, as overlay would show it).
    /// </summary>
    private static void RemoveMountPoints(List<MountPoint> mountPoints)
    {
        foreach (var point in Enumerable.Reverse(mountPoints))
        {
            var parent = Path.GetDirectoryName(point.Path)!;
            var beforeDelete = Libc.LinkStatus(parent) is { } status ? ToTime(status.ModificationTime) : (DateTimeOffset?)null;
            File.Delete(point.Path);
            if (beforeDelete is { } time) Libc.SetTimes(parent, time == point.ParentAfter ? point.ParentBefore : time);
        }
        mountPoints.Clear();
    }

    private static DateTimeOffset ToTime(Libc.StatxTimestamp time) => DateTimeOffset.FromUnixTimeSeconds(time.Seconds).AddTicks(time.Nanoseconds / 100);

    private static readonly Lazy<Task<bool>> NamespacesAllowed = new(async () =>
    {
        try
        {
            using var probe = Process.Start(new ProcessStartInfo(HostTool.Find("unshare"), ["--mount", "--uts", "--ipc", "--pid", "--fork", "true"]) { RedirectStandardError = true, UseShellExecute = false });
            if (probe is null) return false;
            await probe.WaitForExitAsync().ConfigureAwait(false);
            return probe.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    });

    /// <summary>A bind or tmpfs mount copied into the root: what the image had there (moved aside), and the folder's times around it.</summary>
    private sealed record PlacedMount(string Path, string? Stash, DateTimeOffset ParentBefore, DateTimeOffset ParentAfter)
    {
        public bool ReadOnly { get; init; }

        /// <summary>A cache mount's persistent folder, which goes back there after the run instead of being deleted.</summary>
        public string? CacheFolder { get; init; }

        /// <summary>The cache folder was copied in (another filesystem), not moved: it is copied back.</summary>
        public bool Copied { get; init; }
    }

    /// <summary>
    /// Where this host allows a mount namespace, a read-only bind's copy is made read-only in it (bound onto itself, then
    /// remounted), so the step sees what a bind mount shows; without one the copy stays writable, and what the step
    /// writes there is deleted with it all the same.
    /// </summary>
    private static string ReadOnlyBinds(List<PlacedMount> placed)
    {
        static string Q(string s) => ShellQuote.Quote(s);
        var s = new StringBuilder();
        foreach (var mount in placed.Where(m => m.ReadOnly))
            s.AppendLine($"mount --bind {Q(mount.Path)} {Q(mount.Path)} && mount -o remount,bind,ro {Q(mount.Path)} {Q(mount.Path)} || fail {Q($"making the bind mount at {mount.Path} read-only failed")}");
        return s.ToString();
    }

    /// <summary>
    /// This sandbox cannot mount, so a bind mount's files (the caller's own copy) are copied to the target and a tmpfs is
    /// an empty folder (1777); what the image has at the target is moved aside for the run, outside the root. After the
    /// run (<see cref="RemovePlaced"/>) the target is deleted, whatever the step wrote there, and the image's entry comes
    /// back, so nothing of a mount reaches the snapshot. Parents first, so a mount inside another lands in its copy.
    /// </summary>
    private static void PlaceMounts(string rootfs, SandboxRequest request, string files, List<PlacedMount> placed, List<(string Folder, Libc.Statx ParentBefore)> madeFolders)
    {
        var mounts = request.BindMounts.Select(b => (Target: b.Target, Host: (string?)b.HostPath, ReadOnly: !b.ReadWrite, Cache: false))
            .Concat(request.TmpfsMounts.Select(t => (t.Target, Host: (string?)null, ReadOnly: false, Cache: false)))
            .Concat(request.CacheMounts.Select(c => (c.Target, Host: (string?)Path.GetFullPath(c.HostPath), ReadOnly: false, Cache: true)))
            .Select(m => (Relative: LayerPath.Normalize(m.Target.TrimStart('/'), "mount target " + m.Target), m.Target, m.Host, m.ReadOnly, m.Cache))
            .OrderBy(m => m.Relative.Count(c => c == '/'))
            .ToList();
        foreach (var (relative, target, host, readOnly, cache) in mounts)
        {
            if (relative.Length == 0 || new[] { "proc", "dev", "sys" }.Any(k => relative == k || relative.StartsWith(k + "/", StringComparison.Ordinal)))
                throw new OrchestratorException($"mount target '{target}' is not allowed: it would hide the image root, /proc, /dev or /sys. Choose another path.");
            var created = new List<(string Folder, Libc.Statx ParentBefore)>();
            var parent = EnsureDirectoryInRoot(rootfs, LayerPath.Parent(relative), created);
            if (created.Count > 0) madeFolders.Add(created[0]);
            var path = Path.Combine(parent, LayerPath.Name(relative));
            var parentBefore = ToTime(Libc.LinkStatus(parent)!.Value.ModificationTime);
            string? stash = null;
            if (Libc.LinkStatus(path) is not null)
            {
                Directory.CreateDirectory(files);
                stash = Path.Combine(files, $"hidden-{placed.Count}");
                Move(path, stash);
            }
            // Recorded before anything is made, so a failed copy is still cleaned up.
            var record = new PlacedMount(path, stash, parentBefore, parentBefore) { ReadOnly = readOnly };
            placed.Add(record);
            var copied = false;
            if (host is null)
            {
                Directory.CreateDirectory(path);
                Libc.Chmod(path, 0x3FF); // 1777, as a fresh tmpfs
            }
            else if (cache)
            {
                // The cache folder itself goes in for the run (a rename, or a copy from another filesystem) and back after it.
                Directory.CreateDirectory(host);
                record = record with { CacheFolder = host };
                placed[^1] = record;
                try
                {
                    Directory.Move(host, path);
                }
                catch (IOException)
                {
                    CopyTree(host, path);
                    copied = true;
                }
            }
            else
            {
                CopyTree(host, path);
            }
            placed[^1] = record with { ParentAfter = ToTime(Libc.LinkStatus(parent)!.Value.ModificationTime), Copied = copied };
        }
    }

    /// <summary>Puts a cache mount's folder back where the next build finds it, with what the step left in it.</summary>
    private static void KeepCache(PlacedMount mount, string cache)
    {
        var kept = Libc.LinkStatus(mount.Path) is { } status && FileKind.IsDirectory(status);
        if (!mount.Copied && !Directory.Exists(cache))
        {
            if (kept) Directory.Move(mount.Path, cache);
            else Directory.CreateDirectory(cache);
            return;
        }
        if (!kept) return;
        FolderDeleter.Delete(cache);
        CopyTree(mount.Path, cache);
    }

    /// <summary>rename(2) of a file, link or folder (never followed).</summary>
    private static void Move(string from, string to)
    {
        if (Libc.LinkStatus(from) is { } status && FileKind.IsDirectory(status)) Directory.Move(from, to);
        else File.Move(from, to);
    }

    /// <summary>Copies a file or folder tree as it is: modes, symlinks as links, times of files.</summary>
    private static void CopyTree(string source, string target)
    {
        var status = Libc.LinkStatus(source) ?? throw new OrchestratorException($"bind mount source '{source}' does not exist.");
        if (FileKind.Of(status) == FileKind.Symlink)
        {
            File.CreateSymbolicLink(target, new FileInfo(source).LinkTarget!);
            return;
        }
        if (!FileKind.IsDirectory(status))
        {
            File.Copy(source, target);
            Libc.Chmod(target, FileKind.Permissions(status));
            Libc.TryLchown(target, status.Uid, status.Gid);
            return;
        }
        Directory.CreateDirectory(target);
        foreach (var child in Directory.EnumerateFileSystemEntries(source))
            CopyTree(child, Path.Combine(target, Path.GetFileName(child)));
        Libc.Chmod(target, FileKind.Permissions(status));
        Libc.TryLchown(target, status.Uid, status.Gid);
    }

    /// <summary>Deletes what <see cref="PlaceMounts"/> placed (innermost first) and puts the image's entries and the folders' times back.</summary>
    private static void RemovePlaced(List<PlacedMount> placed)
    {
        foreach (var mount in Enumerable.Reverse(placed))
        {
            var parent = Path.GetDirectoryName(mount.Path)!;
            var beforeDelete = Libc.LinkStatus(parent) is { } status ? ToTime(status.ModificationTime) : (DateTimeOffset?)null;
            if (mount.CacheFolder is { } cache) KeepCache(mount, cache);
            if (Libc.LinkStatus(mount.Path) is not null) FolderDeleter.Delete(mount.Path);
            if (mount.Stash is not null) Move(mount.Stash, mount.Path);
            // The step's own change to the folder keeps its time, as overlay would show it.
            if (beforeDelete is { } time) Libc.SetTimes(parent, time == mount.ParentAfter ? mount.ParentBefore : time);
        }
        placed.Clear();
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
    /// (<see cref="ImagePathResolver"/>: symlinks followed relative to the root, <c>..</c> never above it); missing
    /// folders are created (0755, root) and listed in <paramref name="created"/>, outermost first, each with its
    /// parent's metadata from before it was made.
    /// </summary>
    private static string EnsureDirectoryInRoot(string rootfs, string path, List<(string Folder, Libc.Statx ParentBefore)> created)
    {
        var current = rootfs;
        foreach (var part in ImagePathResolver.ResolveInFolder(rootfs, path).Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(current, part);
            var status = Libc.LinkStatus(next);
            if (status is null)
            {
                var parentBefore = Libc.LinkStatus(current)!.Value;
                Directory.CreateDirectory(next);
                Libc.Chmod(next, 0x1ED); // 0755, like mkdir -p as root
                created.Add((next, parentBefore));
            }
            else if (!FileKind.IsDirectory(status.Value))
            {
                throw new OrchestratorException($"'/{path}' cannot be used as a folder in the image: '{Path.GetRelativePath(rootfs, next)}' is a file. Choose another path.");
            }
            current = next;
        }
        return current;
    }

    private static async Task Pump(StreamReader reader, SandboxStream stream, Action<SandboxOutputLine> onOutput)
    {
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line) onOutput(new SandboxOutputLine(stream, line));
    }
}
