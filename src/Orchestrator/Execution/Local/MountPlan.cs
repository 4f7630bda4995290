using System.Text;
using Orchestrator.Layers;

namespace Orchestrator.Execution.Local;

/// <summary>
/// The binds a step gets (host DNS files, secrets, cache mounts) and the placeholder layer that
/// provides their mount points. Placeholder directories copy mode, owner and time of the image's
/// own directory at that path, so a later copy-up into the upper folder carries the image's
/// metadata, not ours.
/// </summary>
internal sealed class MountPlan
{
    private static readonly string[] HostFiles = ["/etc/resolv.conf", "/etc/hosts"];

    private readonly LayerStackView _image;
    private readonly bool _privileged = Libc.GetEffectiveUserId() == 0;

    public MountPlan(SandboxRequest request, LayerStackView image)
    {
        _image = image;
        var binds = new List<(string Host, string Target, bool ReadOnly)>();
        foreach (var file in HostFiles)
            if (File.Exists(file)) binds.Add((file, file, true));
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
        Binds = binds;
    }

    public IReadOnlyList<(string Host, string Target, bool ReadOnly)> Binds { get; }

    public void CreatePlaceholders(string folder)
    {
        Directory.CreateDirectory(folder);
        CreateDirectory(folder, "proc");
        CreateDirectory(folder, "dev");
        foreach (var (host, target, _) in Binds)
        {
            var relative = target.TrimStart('/');
            CreateDirectory(folder, LayerPath.Parent(relative));
            var path = Path.Combine(folder, relative);
            if (Directory.Exists(host)) CreateDirectory(folder, relative);
            else if (!File.Exists(path)) File.WriteAllBytes(path, []);
        }
    }

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
        if (relative.Length == 0 || relative == "proc" || relative.StartsWith("proc/", StringComparison.Ordinal) || relative == "dev" || relative.StartsWith("dev/", StringComparison.Ordinal))
            throw new OrchestratorException($"{what} target '{target}' is not allowed: it would hide the image root, /proc or /dev. Choose another path.");
        return "/" + relative;
    }
}
