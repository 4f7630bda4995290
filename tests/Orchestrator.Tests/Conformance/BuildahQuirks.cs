using System.Runtime.Versioning;

namespace Orchestrator.Tests.Conformance;

/// <summary>
/// Where buildah 1.28 (chroot isolation, vfs) writes something Docker does not, the buildah side is
/// brought back to what Docker produces before comparing; nothing on our side is touched:
/// <list type="bullet">
/// <item>RUN leaves its mount stubs in the image: empty /dev, /proc, /sys, /run folders and empty
/// /etc/hostname, /etc/hosts, /etc/resolv.conf files. BuildKit removes the stubs of its own mounts
/// (its MountStubsCleaner), but keeps the empty /dev, /proc and /sys that runc creates on a base without them
/// (the BuildKit track reports those, see docs/conformance.md). Dropped only when empty and absent from our image.</item>
/// <item>VOLUME creates the folder (and missing parents) in the image; in Docker it only changes the
/// config. Dropped only when empty and absent from our image.</item>
/// <item>Env: a redefined variable moves to the end of the list in buildah; Docker replaces it in
/// place. <see cref="ImageConfigFields"/> compares Env as a set for that reason.</item>
/// <item>The io.buildah.version label (see <see cref="ImageConfigFields.BuildahVersionLabel"/>).</item>
/// </list>
/// </summary>
[SupportedOSPlatform("linux")]
internal static class BuildahQuirks
{
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
