using System.Runtime.Versioning;

namespace Orchestrator.Tests.Conformance;

/// <summary>
/// Where buildah 1.28 (chroot isolation, vfs) writes something Docker does not, the buildah side is
/// brought back to what Docker produces before comparing; nothing on our side is touched:
/// <list type="bullet">
/// <item>RUN leaves its mount stubs in the image: empty /dev, /proc, /sys, /run folders and empty
/// /etc/hostname, /etc/hosts, /etc/resolv.conf files. BuildKit removes the stubs of its own mounts
/// (its MountStubsCleaner), but keeps the empty /dev, /proc and /sys that runc creates on a base without them,
/// and so does our builder. Dropped only when empty and absent from our image.</item>
/// <item>VOLUME creates the folder (and missing parents) in the image; in Docker it only changes the
/// config. Dropped only when empty and absent from our image.</item>
/// <item>Env: a redefined variable moves to the end of the list in buildah; Docker replaces it in
/// place. <see cref="ImageConfigFields"/> compares Env as a set for that reason.</item>
/// <item>The io.buildah.version label (see <see cref="ImageConfigFields.BuildahVersionLabel"/>).</item>
/// <item>COPY onto a destination that is a symlink to a file replaces the link with the file; Docker (BuildKit) writes
/// through the link to its target and keeps the link. The paths involved are left out of the buildah track for the case
/// that does it (<see cref="CaseIgnores"/>); the BuildKit track compares them.</item>
/// <item>EXPOSE of a range (<c>8000-8002/udp</c>) stays one key in buildah's config, protocol as written; Docker
/// (BuildKit) lists each port of it, protocol in lower case. The case's ExposedPorts are left out of the buildah track
/// (<see cref="CaseConfigIgnores"/>); the BuildKit track compares them.</item>
/// <item>ADD --chown of a local archive gives the folders the archive only implies (it holds <c>app/etc/x</c> but no
/// <c>app/</c>) the --chown owner; Docker (BuildKit) makes them root's. Left out of the buildah track the same way.</item>
/// </list>
/// </summary>
[SupportedOSPlatform("linux")]
internal static class BuildahQuirks
{
    /// <summary>Cases buildah 1.28 cannot build at all, with why; the BuildKit track checks them.</summary>
    public static IReadOnlyDictionary<string, string> CannotBuild { get; } = new Dictionary<string, string>
    {
        ["copy-heredocs"] = "COPY/ADD here-documents came to buildah in 1.33; 1.28 reads '<<EOF' as a file name",
        ["run-bind-mounts"] = RelativeMountTarget,
        ["docker-init-go"] = RelativeMountTarget,
        ["docker-init-python"] = RelativeMountTarget,
        ["docker-init-node"] = RelativeMountTarget,
        ["cache-mount-owner"] = "buildah 1.28 run without root does not give a cache folder its uid and gid (the step as uid 1000 gets \"Permission denied\"); as root it builds what BuildKit builds",
        ["onbuild-triggers"] = "buildah 1.28 writes OCI configs, which it says cannot hold ONBUILD (\"ONBUILD is not supported for OCI image format … will be ignored\"), so the child stage never runs the triggers",
    };

    private const string RelativeMountTarget = "buildah 1.28 refuses a RUN mount target relative to WORKDIR (`target=.`, `target=go.sum`, as `docker init` writes them): \"invalid container path, must be an absolute path\"";

    /// <summary>Paths a case leaves out of the buildah track (on both sides), because buildah's answer there is not Docker's.</summary>
    public static IReadOnlyDictionary<string, string[]> CaseIgnores { get; } = new Dictionary<string, string[]>
    {
        ["symlinked-folders-busybox"] = ["/filelink", "/real/lib/target.txt", "/copied/target.txt"],
        ["add-local-tar"] = ["/owned/app"],
    };

    /// <summary>Config fields a case leaves out of the buildah track, because buildah's answer there is not Docker's.</summary>
    public static IReadOnlyDictionary<string, string[]> CaseConfigIgnores { get; } = new Dictionary<string, string[]>
    {
        ["expose-ranges-home"] = ["ExposedPorts"],
    };

    private static readonly string[] MountStubs = ["/dev", "/proc", "/sys", "/run", "/etc/hostname", "/etc/hosts", "/etc/resolv.conf"];

    public static RootfsSnapshot WithoutStubs(RootfsSnapshot buildah, RootfsSnapshot ours, IEnumerable<string> volumes)
    {
        var entries = buildah.Entries.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        bool DropIfEmptyStub(string path)
        {
            if (ours.Entries.ContainsKey(path) || !entries.TryGetValue(path, out var entry)) return false;
            var empty = entry.Type == "file" ? entry.Size == 0 : entry.Type == "dir" && !entries.Keys.Any(k => k.StartsWith(path + "/", StringComparison.Ordinal));
            return empty && entries.Remove(path);
        }
        foreach (var stub in MountStubs) DropIfEmptyStub(stub);
        foreach (var volume in volumes)
        {
            // The volume folder first, then each parent that only existed to hold it.
            for (var path = "/" + volume.Trim('/'); path.Length > 1 && DropIfEmptyStub(path); path = Path.GetDirectoryName(path)!)
            {
            }
        }
        return new RootfsSnapshot(entries);
    }
}
