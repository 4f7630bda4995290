using System.Text;
using Orchestrator.Layers;

namespace Orchestrator.Execution.Local;

/// <summary>
/// The binds a step gets (the host's DNS configuration, the fixed hosts file, secrets, cache
/// mounts) and the placeholder layer that provides their mount points and those of the kernel
/// file systems (/proc, /dev, /sys). Placeholder directories copy mode, owner and time of the
/// image's own directory at that path, so a later copy-up into the upper folder carries the
/// image's metadata, not ours.
/// </summary>
internal sealed class MountPlan
{
    /// <summary>The hostname every step sees, as under BuildKit: a build must not depend on the machine's name.</summary>
    public const string Hostname = "buildkitsandbox";

    /// <summary>
    /// /etc/hosts of every step, byte for byte what BuildKit writes for a RUN step (executor/oci/hosts.go):
    /// the build machine's own file would leak its names into the build.
    /// </summary>
    public const string HostsFileText = "127.0.0.1\tlocalhost " + Hostname + "\n::1\tlocalhost ip6-localhost ip6-loopback\n";

    private const string ResolvConf = "/etc/resolv.conf";

    private readonly LayerStackView _image;
    private readonly bool _privileged = Libc.GetEffectiveUserId() == 0;

    /// <param name="stepFiles">A per-run folder outside the image; the step's hosts file is written there.</param>
    public MountPlan(SandboxRequest request, LayerStackView image, string stepFiles)
    {
        _image = image;
        var binds = new List<(string Host, string Target, bool ReadOnly)>();
        if (File.Exists(ResolvConf)) binds.Add((ResolvConf, ResolvConf, true));
        binds.Add((WriteHostsFile(stepFiles), "/etc/hosts", true));
        foreach (var secret in request.Secrets)
        {
            if (!File.Exists(secret.HostPath))
                throw new OrchestratorException($"secret for {secret.Target}: file '{secret.HostPath}' does not exist; pass an existing file as the secret source.");
            binds.Add((Path.GetFullPath(secret.HostPath), Target(secret.Target, "secret"), true));
        }
        foreach (var cache in request.CacheMounts)
        {
            Directory.CreateDirectory(cache.HostPath);
            binds.Add((Path.GetFullPath(cache.HostPath), Target(cache.Target, "cache mount"), false));
        }
        foreach (var bind in request.BindMounts)
        {
            if (!File.Exists(bind.HostPath) && !Directory.Exists(bind.HostPath))
                throw new OrchestratorException($"bind mount for {bind.Target}: '{bind.HostPath}' does not exist.");
            binds.Add((Path.GetFullPath(bind.HostPath), Target(bind.Target, "bind mount"), !bind.ReadWrite));
        }
        foreach (var socket in request.SshSockets)
            binds.Add((Path.GetFullPath(socket.HostPath), Target(socket.Target, "ssh mount"), true));
        foreach (var tmpfs in request.TmpfsMounts)
            binds.Add((TmpfsSource, Target(tmpfs.Target, "tmpfs mount"), false));
        // Parents before what is mounted inside them (a cache folder below a bound context), as BuildKit orders mounts.
        Binds = binds.Select((b, i) => (Bind: b, Order: i)).OrderBy(b => b.Bind.Target.Count(c => c == '/')).ThenBy(b => b.Order).Select(b => b.Bind).ToList();
        // A read-only bound folder cannot take a mount point once mounted: make the ones inside it in its copy now.
        foreach (var bind in request.BindMounts.Where(b => Directory.Exists(b.HostPath)))
        {
            var outer = Target(bind.Target, "bind mount");
            foreach (var (host, target, _) in Binds)
            {
                if (!target.StartsWith(outer.TrimEnd('/') + "/", StringComparison.Ordinal)) continue;
                var inside = Path.Combine(bind.HostPath, target[(outer.TrimEnd('/').Length + 1)..]);
                if (File.Exists(inside) || Directory.Exists(inside)) continue;
                if (host == TmpfsSource || Directory.Exists(host)) Directory.CreateDirectory(inside);
                else
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(inside)!);
                    File.WriteAllBytes(inside, []);
                }
            }
        }
        Tmpfs = request.TmpfsMounts.ToDictionary(t => Target(t.Target, "tmpfs mount"), t => t.Size, StringComparer.Ordinal);
    }

    /// <summary>The host path <see cref="Binds"/> gives for a tmpfs mount: nothing of the host is bound there.</summary>
    public const string TmpfsSource = "tmpfs";

    /// <summary>Every mount of the step but the kernel file systems, parents first; a tmpfs has <see cref="TmpfsSource"/> as its host path.</summary>
    public IReadOnlyList<(string Host, string Target, bool ReadOnly)> Binds { get; }

    /// <summary>The tmpfs mounts by target, with their size limit.</summary>
    public IReadOnlyDictionary<string, long?> Tmpfs { get; }

    /// <summary>
    /// The shell line that mounts one entry of <see cref="Binds"/> at <paramref name="at"/> (the target as the mounting
    /// shell sees it). A mount point inside another mount (the folder a bound context brings) is made first when it is
    /// missing there; it then lands in that mount, never in the step's layer.
    /// </summary>
    public string MountLine((string Host, string Target, bool ReadOnly) bind, string at)
    {
        static string Q(string s) => ShellQuote.Quote(s);
        var isFolder = bind.Host == TmpfsSource || Directory.Exists(bind.Host);
        var make = isFolder ? $"mkdir -p {Q(at)}" : $"{{ mkdir -p \"$(dirname {Q(at)})\" && : > {Q(at)}; }}";
        var mount = bind.Host == TmpfsSource
            ? $"mount -t tmpfs -o {Q(TmpfsOptions(bind.Target))} tmpfs {Q(at)}"
            : $"mount -o {(bind.ReadOnly ? "bind,ro" : "bind")} {Q(bind.Host)} {Q(at)}";
        return $"{{ [ -e {Q(at)} ] || {make}; }} 2>/dev/null; {mount} || fail {Q($"mounting {bind.Target} failed")}";
    }

    /// <summary>
    /// The fstab line (see <see cref="FstabLine(string, string, string, string)"/>) that mounts one entry of
    /// <see cref="Binds"/> at <paramref name="at"/>, a mount point that exists when the line is mounted.
    /// </summary>
    public string FstabLine((string Host, string Target, bool ReadOnly) bind, string at) =>
        bind.Host == TmpfsSource
            ? FstabLine("tmpfs", at, "tmpfs", TmpfsOptions(bind.Target))
            : FstabLine(bind.Host, at, "none", bind.ReadOnly ? "bind,ro" : "bind");

    private string TmpfsOptions(string target) =>
        "nosuid,nodev" + (Tmpfs[target] is { } size ? ",size=" + size.ToString(System.Globalization.CultureInfo.InvariantCulture) : "");

    /// <summary>Writes the step's hosts file (0644, like BuildKit's) into <paramref name="folder"/>; returns its path.</summary>
    public static string WriteHostsFile(string folder)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "hosts");
        File.WriteAllText(path, HostsFileText);
        Libc.Chmod(path, 0x1A4); // 0644
        return path;
    }

    public void CreatePlaceholders(string folder)
    {
        Directory.CreateDirectory(folder);
        CreateDirectory(folder, "proc");
        CreateDirectory(folder, "dev");
        CreateDirectory(folder, "sys");
        foreach (var (host, target, _) in Binds)
        {
            var relative = target.TrimStart('/');
            CreateDirectory(folder, LayerPath.Parent(relative));
            var path = Path.Combine(folder, relative);
            if (host == TmpfsSource || Directory.Exists(host)) CreateDirectory(folder, relative);
            else if (!File.Exists(path) && !Directory.Exists(path)) File.WriteAllBytes(path, []);
        }
    }

    /// <summary>
    /// Writes the files the step's mounts need into <paramref name="folder"/> and returns the POSIX shell lines that
    /// mount, on the host folders <see cref="KernelMounts.Dev"/> and <see cref="KernelMounts.Sys"/>
    /// (the root's /dev and /sys; a mount namespace of its own, a <c>fail MESSAGE</c> function defined), the kernel file
    /// systems a Docker/BuildKit step sees: a tmpfs <c>/dev</c> with the standard devices bound from the host and
    /// runc's links, a private devpts instance (<c>/dev/ptmx</c> points into it), <c>/dev/shm</c>,
    /// <c>/dev/mqueue</c> (needs an IPC namespace of its own) and <c>/sys</c> read-only where the host allows it.
    /// Everything is mounted, never written into the image, so none of it can reach a layer. The lines set
    /// <c>$dev</c> and <c>$sys</c>.
    /// <para>
    /// Every RUN step pays for these mounts, and each <c>mount</c> process costs more than its mount (about 5 ms): so
    /// the mounts go through fstab files written here into <paramref name="folder"/> (the step's own, outside the
    /// root), mounted in order by one <c>mount -a -T</c> each: the caller's first mounts with /dev's tmpfs; the
    /// devices, shm, mqueue, devpts and the caller's binds; /sys. /dev's links and mount points are copied from a
    /// skeleton folder there in one <c>cp</c> (no ownership kept: what it makes belongs to the step's root).
    /// </para>
    /// </summary>
    public static string PrepareKernelFileSystems(KernelMounts mounts, string folder)
    {
        static string Q(string s) => ShellQuote.Quote(s);
        var (dev, sys) = (mounts.Dev, mounts.Sys);
        Directory.CreateDirectory(folder);
        var skeleton = Directory.CreateDirectory(Path.Combine(folder, "dev-skeleton")).FullName;
        Libc.Chmod(skeleton, 0x1ED); // 0755, the tmpfs's own mode
        foreach (var name in StandardDevices) File.WriteAllBytes(Path.Combine(skeleton, name), []);
        foreach (var name in new[] { "shm", "pts", "mqueue" }) Libc.Chmod(Directory.CreateDirectory(Path.Combine(skeleton, name)).FullName, 0x1ED);
        foreach (var (name, target) in new[] { ("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2"), ("ptmx", "pts/ptmx") })
            File.CreateSymbolicLink(Path.Combine(skeleton, name), target);
        if (File.Exists("/proc/kcore")) File.CreateSymbolicLink(Path.Combine(skeleton, "core"), "/proc/kcore");

        var devTab = Path.Combine(folder, "dev.fstab");
        File.WriteAllText(devTab, mounts.FirstMounts + FstabLine("tmpfs", dev, "tmpfs", "nosuid,strictatime,mode=755,size=65536k"));
        var devicesTab = Path.Combine(folder, "devices.fstab");
        var devpts = "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620" + (mounts.TtyGroupMapped ? $",gid={KernelMounts.TtyGroup}" : "");
        File.WriteAllText(devicesTab, string.Concat(StandardDevices.Select(d => FstabLine("/dev/" + d, dev + "/" + d, "none", "bind")))
            + FstabLine("shm", dev + "/shm", "tmpfs", "nosuid,nodev,noexec,mode=1777,size=65536k")
            + FstabLine("mqueue", dev + "/mqueue", "mqueue", "nosuid,nodev,noexec")
            + FstabLine("devpts", dev + "/pts", "devpts", devpts)
            + mounts.LaterMounts);
        var sysTab = Path.Combine(folder, "sys.fstab");
        // Mount points below the host's /sys as the mount table writes them (its escapes are fstab's): the recursive
        // bind brings each of them, and each must be made read-only on its own.
        var submounts = File.ReadLines("/proc/self/mounts").Select(line => line.Split(' ')).Where(f => f.Length > 1 && f[1].StartsWith("/sys/", StringComparison.Ordinal))
            .Select(f => f[1]["/sys".Length..]).Distinct(StringComparer.Ordinal);
        var sysfs = mounts.SysfsAllowed ? "mount -t sysfs -o ro,nosuid,nodev,noexec sysfs \"$1\" 2>/dev/null && return" : "";
        return $$"""
            dev={{Q(dev)}} sys={{Q(sys)}}
            error=$(mount -a -T {{Q(devTab)}} 2>&1) || fail "mounting {{mounts.FirstWhat}} failed: $(printf '%s\n' "$error" | head -n 1){{mounts.FirstFailureHint}}"
            cp -RP {{Q(skeleton + "/.")}} "$dev/" || fail 'populating /dev failed'
            error=$(mount -a -T {{Q(devicesTab)}} 2>&1) || fail "mounting {{mounts.LaterWhat}} failed: $(printf '%s\n' "$error" | head -n 1)"
            # sysfs needs a network namespace owned by the step's user namespace (network off, or the machine's
            # root without a user namespace). Otherwise runc's fallback: the host's /sys bound recursively, every
            # mount in it made read-only (one remount entry each, all in the same mount -a). Neither possible: no
            # /sys, as in a bare chroot.
            sys_read_only() {
              {{sysfs}}
              real=$(cd "$1" && pwd -P) || return
              # The mount table escapes unusual characters; every submount must be recognised to be made read-only.
              case $real in *[!A-Za-z0-9/._+-]*) return ;; esac
              {
                printf '/sys %s none rbind 0 0\n' "$real"
                for mp in '' {{string.Join(' ', submounts.Select(Q))}}; do printf 'none %s%s none remount,bind,ro,nosuid,nodev,noexec 0 0\n' "$real" "$mp"; done
              } > {{Q(sysTab)}}
              mount -a -T {{Q(sysTab)}} 2>/dev/null && return
              # The bind came, a remount did not: no /sys rather than a writable one.
              ! mountpoint -q "$real" || umount -R "$real" || fail 'making /sys read-only failed'
            }
            sys_read_only "$sys"

            """;
    }

    /// <summary>The host devices every step's /dev has, bound one by one.</summary>
    private static readonly string[] StandardDevices = ["null", "zero", "full", "random", "urandom", "tty"];

    /// <summary>One fstab line; spaces, tabs, newlines and backslashes in the fields (options too: mount unescapes them) written as fstab's octal escapes.</summary>
    internal static string FstabLine(string source, string target, string type, string options)
    {
        static string Escape(string field) => field.Replace("\\", "\\134").Replace(" ", "\\040").Replace("\t", "\\011").Replace("\n", "\\012");
        return $"{Escape(source)} {Escape(target)} {type} {Escape(options)} 0 0\n";
    }

    /// <summary>
    /// Shell line that gives the step's UTS namespace the fixed hostname: written into /proc where the namespace's root
    /// may (the machine's root), else with <c>hostname</c>.
    /// </summary>
    public static string HostnameScript() =>
        $"{{ echo {Hostname} > /proc/sys/kernel/hostname; }} 2>/dev/null || hostname {Hostname} || fail 'setting the hostname failed (is hostname installed?)'\n";

    private void CreateDirectory(string folder, string relative)
    {
        if (relative.Length == 0) return;
        CreateDirectory(folder, LayerPath.Parent(relative));
        var path = Path.Combine(folder, relative);
        if (Directory.Exists(path)) return;
        Directory.CreateDirectory(path);
        var existing = _image.Resolve(relative);
        if (existing is null || Libc.LinkStatus(existing) is not { } status || !FileKind.IsDirectory(status))
        {
            Libc.Chmod(path, 0x1ED); // 0755, like Docker creates missing mount points
            return;
        }
        Libc.Chmod(path, FileKind.Permissions(status));
        if (_privileged) Libc.TryLchown(path, status.Uid, status.Gid);
        else if (Libc.GetXattr(existing, LayerMarkers.OwnerXattr) is { } owner) Libc.TrySetXattr(path, LayerMarkers.OwnerXattr, owner);
        Libc.SetTimes(path, DateTimeOffset.FromUnixTimeSeconds(status.ModificationTime.Seconds));
    }

    private static string Target(string target, string what)
    {
        if (!target.StartsWith('/'))
            throw new OrchestratorException($"{what} target '{target}' must be an absolute path inside the image (e.g. /run/secrets/token).");
        var relative = LayerPath.Normalize(target.TrimStart('/'), $"{what} target");
        if (relative.Length == 0 || new[] { "proc", "dev", "sys" }.Any(kernel => relative == kernel || relative.StartsWith(kernel + "/", StringComparison.Ordinal)))
            throw new OrchestratorException($"{what} target '{target}' is not allowed: it would hide the image root, /proc, /dev or /sys. Choose another path.");
        return "/" + relative;
    }
}
