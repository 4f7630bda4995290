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
    /// Every RUN step pays for these mounts, and each process costs more than its mount (about 5 ms for a
    /// <c>mount</c>): so the mounts go through fstab files written here into <paramref name="folder"/> (the step's own,
    /// outside the root), mounted in order by one <c>mount -a -T</c> each: the caller's first mounts with /dev's tmpfs;
    /// then the devices, shm, mqueue, devpts, the caller's binds and /sys. /dev's links and mount points are copied
    /// between the two from a skeleton folder there in one <c>cp</c> (no ownership kept: what it makes belongs to the
    /// step's root). A failed pass is reported with mount's first error line, read without a process.
    /// </para>
    /// <para>
    /// /sys: a fresh read-only sysfs needs a network namespace owned by the step's user namespace
    /// (<see cref="KernelMounts.SysfsAllowed"/>); it is tried first then. Otherwise, and when it fails, runc's
    /// fallback: the host's /sys bound recursively and every mount in it remounted read-only, its atime flags kept (the
    /// kernel refuses to change them on a mount a user namespace inherited). When that fails all the same, the step
    /// gets no /sys rather than a writable one, as in a bare chroot.
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

        var errors = Path.Combine(folder, "mount-errors");
        var devTab = Path.Combine(folder, "dev.fstab");
        File.WriteAllText(devTab, mounts.FirstMounts + FstabLine("tmpfs", dev, "tmpfs", "nosuid,strictatime,mode=755,size=65536k"));
        var devpts = "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620" + (mounts.TtyGroupMapped ? $",gid={KernelMounts.TtyGroup}" : "");
        var devicesAndBinds = string.Concat(StandardDevices.Select(d => FstabLine("/dev/" + d, dev + "/" + d, "none", "bind")))
            + FstabLine("shm", dev + "/shm", "tmpfs", "nosuid,nodev,noexec,mode=1777,size=65536k")
            + FstabLine("mqueue", dev + "/mqueue", "mqueue", "nosuid,nodev,noexec")
            + FstabLine("devpts", dev + "/pts", "devpts", devpts)
            + mounts.LaterMounts;
        var sysBind = SysBind(sys);
        var devicesTab = Path.Combine(folder, "devices.fstab");
        var script = new StringBuilder();
        script.AppendLine($"dev={Q(dev)} sys={Q(sys)}");
        script.AppendLine($"mount_failed() {{ IFS= read -r first < {Q(errors)}; fail \"mounting $1 failed: $first$2\"; }}");
        script.AppendLine($"mount -a -T {Q(devTab)} 2>{Q(errors)} || mount_failed {Q(mounts.FirstWhat)} {Q(mounts.FirstFailureHint)}");
        script.AppendLine($"cp -RP {Q(skeleton + "/.")} \"$dev/\" || fail 'populating /dev failed'");
        // /sys in the same pass as the devices, unless a fresh sysfs is tried first: when only its lines failed (mount
        // names the target first), no /sys rather than a writable one.
        var sysInDevicesPass = sysBind is not null && !mounts.SysfsAllowed;
        File.WriteAllText(devicesTab, devicesAndBinds + (sysInDevicesPass ? sysBind!.Value.Lines : ""));
        if (sysBind is { } bind)
            script.AppendLine($"no_sys() {{ ! mountpoint -q {Q(bind.Real)} || umount -R {Q(bind.Real)} || fail 'making /sys read-only failed'; }}");
        if (sysInDevicesPass)
            script.AppendLine($$"""
                only_sys_failed() {
                  while IFS= read -r line; do
                    case $line in {{Q("mount: " + sysBind!.Value.Real + "/")}}*|{{Q("mount: " + sysBind.Value.Real + ":")}}*) ;; "mount: "*) return 1 ;; esac
                  done < {{Q(errors)}}
                  no_sys
                }
                """);
        script.AppendLine($"mount -a -T {Q(devicesTab)} 2>{Q(errors)} || {(sysInDevicesPass ? "only_sys_failed || " : "")}mount_failed {Q(mounts.LaterWhat)} ''");
        if (mounts.SysfsAllowed)
        {
            var fallback = ":";
            if (sysBind is { } bound)
            {
                var sysTab = Path.Combine(folder, "sys.fstab");
                File.WriteAllText(sysTab, bound.Lines);
                fallback = $"mount -a -T {Q(sysTab)} 2>/dev/null || no_sys";
            }
            script.AppendLine($"mount -t sysfs -o ro,nosuid,nodev,noexec sysfs \"$sys\" 2>/dev/null || {fallback}");
        }
        return script.ToString();
    }

    /// <summary>
    /// The fstab lines that bind the host's /sys recursively at <paramref name="sys"/> and make every mount in it
    /// read-only, keeping each one's atime flags; with the path they mount at, symbolic links resolved (the mount table's
    /// form). Null when that path holds a character the mount table escapes.
    /// </summary>
    internal static (string Lines, string Real)? SysBind(string sys)
    {
        var parent = Libc.RealPath(Path.GetDirectoryName(Path.GetFullPath(sys))!);
        if (parent is null) return null;
        var real = parent.TrimEnd('/') + "/" + Path.GetFileName(sys);
        if (!real.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '+' or '-')) return null;
        // Mount points at and below the host's /sys as the mount table writes them (its escapes are fstab's); the last
        // line of a mount point is the mount that is seen there.
        var mounted = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var fields in File.ReadLines("/proc/self/mounts").Select(line => line.Split(' ')))
            if (fields.Length > 3 && (fields[1] == "/sys" || fields[1].StartsWith("/sys/", StringComparison.Ordinal)))
                mounted[fields[1]["/sys".Length..]] = fields[3];
        var lines = new StringBuilder(FstabLine("/sys", real, "none", "rbind"));
        if (!mounted.ContainsKey("")) mounted[""] = "";
        foreach (var (at, options) in mounted.OrderBy(m => m.Key.Length == 0 ? 0 : 1))
            lines.Append($"none {real}{at} none remount,bind,ro,nosuid,nodev,noexec{AtimeFlags(options)} 0 0\n");
        return (lines.ToString(), real);
    }

    /// <summary>A mount's atime flags as a remount must repeat them (the mount table shows strictatime as no flag).</summary>
    private static string AtimeFlags(string options)
    {
        var flags = options.Split(',');
        var atime = flags.Contains("noatime") ? ",noatime" : flags.Contains("relatime") ? ",relatime" : ",strictatime";
        return flags.Contains("nodiratime") ? atime + ",nodiratime" : atime;
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
