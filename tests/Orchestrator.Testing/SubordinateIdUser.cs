using System.Globalization;

namespace Orchestrator.Testing;

/// <summary>A user of this machine with a subordinate id range in both /etc/subuid and /etc/subgid.</summary>
public sealed record SubordinateIdUser(string Name, uint Uid, uint Gid, uint FirstSubordinateId, uint Count)
{
    /// <summary>The first such user (CI creates one), or null when the machine has none.</summary>
    public static SubordinateIdUser? Find()
    {
        var groups = Ranges("/etc/subgid");
        foreach (var (name, start, count) in Ranges("/etc/subuid"))
        {
            if (!groups.Any(g => g.Name == name) || count < 2) continue;
            var entry = File.ReadLines("/etc/passwd").Select(l => l.Split(':')).FirstOrDefault(f => f.Length >= 4 && f[0] == name);
            if (entry is null) continue;
            return new SubordinateIdUser(name, uint.Parse(entry[2], CultureInfo.InvariantCulture), uint.Parse(entry[3], CultureInfo.InvariantCulture), start, count);
        }
        return null;
    }

    /// <summary>
    /// <see cref="Find"/>, else, as the machine's root, a user made for the tests the way an administrator would
    /// (<c>useradd</c>, then <c>usermod --add-subuids/--add-subgids</c>), so a fresh machine needs no setup beyond
    /// the README's packages. Null for other callers on a machine without such a user.
    /// </summary>
    public static async Task<SubordinateIdUser?> FindOrCreateAsync()
    {
        var found = Find();
        if (found is not null || !HostUser.IsMachineRoot) return found;
        const string name = "orchestrator-test";
        if (!File.ReadLines("/etc/passwd").Any(l => l.StartsWith(name + ":", StringComparison.Ordinal)))
            (await ExternalTool.RunAsync("useradd", ["--no-create-home", "--shell", "/usr/sbin/nologin", name])).EnsureSuccess();
        // Debian's useradd gives new users a range already (SUB_UID_COUNT); add one only where it did not.
        if (Find() is { } made) return made;
        (await ExternalTool.RunAsync("usermod", ["--add-subuids", "300000-365535", "--add-subgids", "300000-365535", name])).EnsureSuccess();
        return Find();
    }

    private static List<(string Name, uint Start, uint Count)> Ranges(string path) =>
        !File.Exists(path) ? [] : File.ReadLines(path)
            .Select(l => l.Split(':'))
            .Where(f => f.Length == 3 && uint.TryParse(f[1], out _) && uint.TryParse(f[2], out _))
            .Select(f => (f[0], uint.Parse(f[1], CultureInfo.InvariantCulture), uint.Parse(f[2], CultureInfo.InvariantCulture)))
            .ToList();
}
