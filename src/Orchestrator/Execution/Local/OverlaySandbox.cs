using System.Diagnostics;
using System.Text;
using Orchestrator.Layers;
using Orchestrator.Oci.Documents;

namespace Orchestrator.Execution.Local;

/// <summary>
/// Runs a step on stacked layer folders with overlayfs, using util-linux <c>unshare</c> (no
/// daemon, no setuid helper) in user+mount+pid+uts+ipc namespaces. Unprivileged callers are mapped to
/// root (Linux ≥ 5.11 allows overlay mounts there). A root caller — the machine's root, or root of the
/// user namespace <c>dotnet orchestrate</c> enters for a user with subordinate ids — gets an identity
/// mapping of every id it has, written by this process once the namespace exists, so image uids stay
/// real while the step's capabilities stay confined to its namespaces. The overlay is mounted
/// with <c>userxattr</c> in both cases, matching how the layer store writes opaque markers.
/// The step's environment is Docker's: every signal at its default disposition (the .NET host
/// ignores SIGPIPE, and an ignored signal survives exec), hostname <c>buildkitsandbox</c>,
/// BuildKit's /etc/hosts, the host's /etc/resolv.conf, /dev with pts, shm and mqueue, /sys
/// read-only where the host allows it (see <see cref="MountPlan"/>).
/// Mount points the step needs (/proc, /dev, /sys, /etc/resolv.conf, /etc/hosts, secrets, cache mounts)
/// come from an extra top lower layer made per run, so creating them never touches the upper
/// folder: the upper folder after the run holds only what the command changed.
/// Everything lives in a private mount namespace, so killing the process tree removes every mount;
/// the per-run folder is deleted in all cases.
/// </summary>
public sealed class OverlaySandbox : ISandbox
{
    /// <summary>Exit code and stderr prefix the setup script uses to tell its own failures from the command's.</summary>
    internal const int SetupFailureExitCode = 125;
    internal const string SetupFailurePrefix = "orchestrator-sandbox: ";

    /// <summary>First stdout line of a root caller's sandbox: the namespace exists and waits for its uid map.</summary>
    private const string AwaitingMapMarker = "orchestrator-sandbox-awaiting-id-map";

    private readonly bool _privileged = Libc.GetEffectiveUserId() == 0;

    /// <summary>
    /// The overlay options besides the folders, shared with the probe (<see cref="SandboxSelector"/>): <c>userxattr</c>
    /// as the layer store writes opaque markers; <c>volatile</c> because unmounting an overlay otherwise syncs the whole
    /// file system of its upper folder, and a step's upper folder needs no durability.
    /// </summary>
    internal const string MountFlags = "userxattr,volatile";

    public bool StacksLayers => true;

    public async Task<int> RunAsync(SandboxRequest request, Action<SandboxOutputLine> onOutput, CancellationToken cancellationToken)
    {
        SignalResettingEnv.EnsureSupported();
        if (request.Command.Count == 0) throw new OrchestratorException("RUN has no command to execute.");
        var upper = Path.GetFullPath(request.UpperFolder);
        Directory.CreateDirectory(upper);
        var layers = TopmostOccurrences(request.Layers.Select(Path.GetFullPath).ToList());
        var image = new LayerStackView(Enumerable.Reverse(layers).ToList());
        var user = ImageUser.Resolve(request.User, image);
        if (!_privileged && (user.Uid != 0 || user.Gid != 0))
            throw new OrchestratorException($"USER '{request.User}' ({user.Uid}:{user.Gid}): running a step as a non-root user needs a range of user ids, and this unprivileged process maps only its own user (to root). Give the building user a subordinate id range (`usermod --add-subuids 100000-165535 --add-subgids 100000-165535 USER`, package uidmap) and build with `dotnet orchestrate`, which then enters a user namespace with that range; a program that uses the builder as a library starts under `dotnet orchestrate unshare -- PROGRAM`.");

        // The run folder sits next to the upper folder: overlay needs its work folder on the same filesystem.
        var run = Path.Combine(Path.GetDirectoryName(upper)!, $".sandbox-{Guid.NewGuid():N}");
        Directory.CreateDirectory(run);
        try
        {
            var mounts = new MountPlan(request, image, Path.Combine(run, "files"));
            mounts.CreatePlaceholders(Path.Combine(run, "mountpoints"));
            Directory.CreateDirectory(Path.Combine(run, "work"));
            Directory.CreateDirectory(Path.Combine(run, "root"));
            Directory.CreateDirectory(Path.Combine(run, "l"));
            for (var i = 0; i < layers.Count; i++)
                File.CreateSymbolicLink(Path.Combine(run, "l", i.ToString(System.Globalization.CultureInfo.InvariantCulture)), layers[i]);

            var script = Path.Combine(run, "setup.sh");
            await File.WriteAllTextAsync(script, BuildScript(request, layers.Count, upper, run, image, user, mounts), cancellationToken).ConfigureAwait(false);
            return await RunProcessAsync(script, request.Network, onOutput, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            FolderDeleter.Delete(run);
        }
    }

    /// <summary>
    /// The layer folders (bottom first) with each folder kept only at its topmost place. overlayfs refuses a
    /// lower folder given twice (ELOOP), which happens whenever two layers have the same diffID (the same
    /// files copied twice) and so share one store folder. Dropping the lower copies leaves the merged view
    /// unchanged: the topmost copy re-applies the same files, whiteouts and opaque markers over everything
    /// beneath it, including what the lower copy contributed.
    /// </summary>
    internal static List<string> TopmostOccurrences(IReadOnlyList<string> layers)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var kept = new List<string>();
        for (var i = layers.Count - 1; i >= 0; i--)
            if (seen.Add(layers[i])) kept.Add(layers[i]);
        kept.Reverse();
        return kept;
    }

    private string BuildScript(SandboxRequest request, int layerCount, string upper, string run, LayerStackView image, ImageUser user, MountPlan mounts)
    {
        static string Q(string s) => ShellQuote.Quote(s);
        var lower = new StringBuilder("mountpoints");
        for (var i = layerCount - 1; i >= 0; i--) lower.Append(":l/").Append(i);
        var s = new StringBuilder();
        s.AppendLine("set -u");
        // Root caller: wait until the parent has written the id maps, then exec again so the shell
        // gains its capabilities as the namespace's (now mapped) root.
        s.AppendLine($"if [ \"${{1:-}}\" != mapped ]; then echo {AwaitingMapMarker}; read go; exec /bin/sh \"$0\" mapped; fi");
        s.AppendLine($"fail() {{ printf '%s\\n' \"{SetupFailurePrefix}$1\" >&2; exit {SetupFailureExitCode}; }}");
        s.AppendLine($"cd {Q(run)} || fail 'cannot enter the run folder'");
        // Relative lowerdir names keep the option string short however deep the cache folder is.
        var kernel = Environment.OSVersion.Version;
        var hint = kernel < new Version(5, 11) ? $" (overlay inside a user namespace needs Linux 5.11 or later; this is {kernel})" : "";
        var root = Path.Combine(run, "root");
        // The root and /proc go with /dev's tmpfs, the binds whose mount points the placeholder layer holds with /dev's
        // devices: each mount -a pass is one process. A bind inside another bind's target needs its mount point made
        // in that mount first, so it gets a line of its own after them.
        var nested = mounts.Binds.Where(b => mounts.Binds.Any(outer => b.Target.StartsWith(outer.Target.TrimEnd('/') + "/", StringComparison.Ordinal))).ToList();
        var direct = mounts.Binds.Except(nested).ToList();
        var kernelMounts = new KernelMounts(Path.Combine(root, "dev"), Path.Combine(root, "sys"), SysfsAllowed: !request.Network, TtyGroupMapped: _privileged && UserNamespace.MapsGroup(KernelMounts.TtyGroup))
        {
            FirstMounts = MountPlan.FstabLine("overlay", root, "overlay", $"lowerdir={lower},upperdir={upper},workdir=work,{MountFlags}")
                + MountPlan.FstabLine("proc", Path.Combine(root, "proc"), "proc", "rw"),
            FirstWhat = "the overlay, /proc or /dev",
            FirstFailureHint = hint,
            LaterMounts = string.Concat(direct.Select(b => mounts.FstabLine(b, root + b.Target))),
            LaterWhat = "the devices of /dev, /dev/shm, /dev/mqueue, /dev/pts" + string.Concat(direct.Select(b => ", " + b.Target)),
        };
        s.Append(MountPlan.PrepareKernelFileSystems(kernelMounts, Path.Combine(run, "kernel-fs")));
        foreach (var bind in nested)
            s.AppendLine(mounts.MountLine(bind, "root" + bind.Target));
        s.Append(MountPlan.HostnameScript());
        if (!request.Network) s.AppendLine("ip link set lo up 2>/dev/null || true");
        var workdir = "/" + LayerPath.Normalize(request.WorkingDirectory.TrimStart('/'), "WORKDIR " + request.WorkingDirectory);
        // A missing working folder is made in the root (part of the step's changes, as under Docker), at the path its
        // links lead to inside the image: mkdir on the host would follow an absolute link out of the root.
        var workdirInImage = image.ResolveLinks(workdir);
        if (workdirInImage.Length > 0 && !(image.Resolve(workdirInImage) is { } existing && Libc.LinkStatus(existing) is { } status && FileKind.IsDirectory(status)))
            s.AppendLine($"mkdir -p {Q("root/" + workdirInImage)} || fail {Q($"creating WORKDIR {workdir} failed")}");

        var environment = new Dictionary<string, string>(request.Environment, StringComparer.Ordinal);
        environment.TryAdd("PATH", ContainerConfig.DefaultPath);
        environment.TryAdd("HOME", user.Home);
        // The .NET host ignores SIGPIPE and an ignored signal survives exec (a shell cannot undo it): env resets
        // every disposition, so `yes | head` ends as under Docker instead of spinning on EPIPE.
        var exec = new StringBuilder("exec ").Append(Q(HostTool.Find("env", "coreutils"))).Append(" -i --default-signal --");
        foreach (var (key, value) in environment.OrderBy(e => e.Key, StringComparer.Ordinal)) exec.Append(' ').Append(Q(key + "=" + value));
        // Host tools by absolute path: env -i gives them the image's PATH, which need not include /usr/bin.
        if (_privileged)
        {
            // setpriv sets the gid and the supplementary groups while still root; unshare then enters the
            // root folder and drops to the uid (its own --setgid would clear the supplementary groups).
            var groups = user.SupplementaryGroups.Count == 0 ? "--clear-groups" : "--groups=" + string.Join(',', user.SupplementaryGroups);
            exec.Append(' ').Append(Q(HostTool.Find("setpriv"))).Append($" --regid={user.Gid} {groups} --");
        }
        // Unprivileged, the kernel forbids setgroups in the namespace (its gid map was written by the caller
        // itself): the step keeps the caller's groups, its own gid showing as root, any other as the overflow gid.
        exec.Append(' ').Append(Q(HostTool.Find("unshare"))).Append(" --root=root --wd=").Append(Q(workdir));
        if (_privileged) exec.Append($" --setuid={user.Uid}");
        exec.Append(" --");
        foreach (var arg in request.Command) exec.Append(' ').Append(Q(arg));
        s.AppendLine(exec.ToString());
        return s.ToString();
    }

    private async Task<int> RunProcessAsync(string script, bool network, Action<SandboxOutputLine> onOutput, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(HostTool.Find("unshare"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--user");
        if (!_privileged) start.ArgumentList.Add("--map-root-user");
        // --uts for the fixed hostname, --ipc for a private /dev/mqueue (and System V IPC), as in a container.
        foreach (var arg in new[] { "--mount", "--pid", "--uts", "--ipc", "--fork", "--kill-child" }) start.ArgumentList.Add(arg);
        if (!network) start.ArgumentList.Add("--net");
        start.ArgumentList.Add("/bin/sh");
        start.ArgumentList.Add(script);
        if (!_privileged) start.ArgumentList.Add("mapped");

        using var process = Process.Start(start) ?? throw new OrchestratorException("could not start 'unshare' (util-linux); install util-linux.");
        try
        {
            if (_privileged) await MapIdentityAsync(process, cancellationToken).ConfigureAwait(false);
            process.StandardInput.Close();
        }
        catch
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        string? setupFailure = null;
        void Forward(SandboxStream stream, string line)
        {
            if (stream == SandboxStream.Stderr && line.StartsWith(SetupFailurePrefix, StringComparison.Ordinal)) setupFailure = line[SetupFailurePrefix.Length..];
            onOutput(new SandboxOutputLine(stream, line));
        }
        var stdout = PumpAsync(process.StandardOutput, SandboxStream.Stdout, Forward);
        var stderr = PumpAsync(process.StandardError, SandboxStream.Stderr, Forward);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The pid namespace dies with its first process (--kill-child), taking every mount with it.
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
            throw;
        }
        await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
        if (process.ExitCode == SetupFailureExitCode && setupFailure is not null)
            throw new OrchestratorException($"the step sandbox could not be set up: {setupFailure.TrimEnd('.')}.");
        return process.ExitCode;
    }

    /// <summary>
    /// Maps every uid and gid this process has to itself in the namespace <c>unshare</c> created. The forked child
    /// announces itself once the namespace exists (unshare(2) happens before the fork), so the map
    /// is written into the right namespace.
    /// </summary>
    private static async Task MapIdentityAsync(Process process, CancellationToken cancellationToken)
    {
        var first = await process.StandardOutput.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        if (first != AwaitingMapMarker)
        {
            var stderr = await process.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            throw new OrchestratorException($"the step sandbox could not create its user namespace: {stderr.Trim()} (is unshare from util-linux 2.36+ installed, and are user namespaces enabled?).");
        }
        // Only the ids of the namespace this process runs in can be mapped: all of them for the machine's root,
        // the caller's own id plus its subordinate range inside the namespace `dotnet orchestrate` enters.
        await File.WriteAllTextAsync($"/proc/{process.Id}/uid_map", UserNamespace.IdentityMap(UserNamespace.UidRanges()), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync($"/proc/{process.Id}/gid_map", UserNamespace.IdentityMap(UserNamespace.GidRanges()), cancellationToken).ConfigureAwait(false);
        await process.StandardInput.WriteLineAsync("go").ConfigureAwait(false);
        await process.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task PumpAsync(StreamReader reader, SandboxStream stream, Action<SandboxStream, string> forward)
    {
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line) forward(stream, line);
    }
}
