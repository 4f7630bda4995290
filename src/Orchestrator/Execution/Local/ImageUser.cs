using System.Globalization;
using Orchestrator.Layers;

namespace Orchestrator.Execution.Local;

/// <summary>The numeric identity a step runs as, resolved like Docker does from <c>USER</c>.</summary>
public sealed record ImageUser(int Uid, int Gid, string Home)
{
    /// <summary>
    /// Supplementary groups like Docker and BuildKit set them: always the primary gid first (with or without
    /// an /etc/passwd entry), then the /etc/group entries that list the user by name.
    /// </summary>
    public IReadOnlyList<int> SupplementaryGroups { get; init; } = [];

    /// <summary>The name that means uid (or gid) 0 even in an image without /etc/passwd or /etc/group, as BuildKit reads it.</summary>
    private const string RootName = "root";

    /// <summary>
    /// Resolves <c>uid[:gid]</c> or <c>name[:group]</c> through /etc/passwd and /etc/group of the
    /// layer stack. A numeric uid without a group takes its passwd group, else 0. <c>root</c> is 0
    /// whether or not the image lists it.
    /// </summary>
    public static ImageUser Resolve(string? spec, LayerStackView image)
    {
        if (string.IsNullOrWhiteSpace(spec)) spec = "0";
        var colon = spec.IndexOf(':');
        var userPart = colon < 0 ? spec : spec[..colon];
        var groupPart = colon < 0 ? null : spec[(colon + 1)..];
        var passwd = ReadTable(image, "etc/passwd");

        int uid;
        int? gid = null;
        var home = "/";
        string[]? account;
        if (int.TryParse(userPart, NumberStyles.None, CultureInfo.InvariantCulture, out uid))
        {
            account = passwd.FirstOrDefault(f => f.Length >= 6 && f[2] == userPart);
        }
        else
        {
            account = passwd.FirstOrDefault(f => f.Length >= 6 && f[0] == userPart);
            if (account is not null) uid = int.Parse(account[2], CultureInfo.InvariantCulture);
            else if (userPart == RootName) uid = 0;
            else throw new OrchestratorException($"USER '{spec}': no user '{userPart}' in the image's /etc/passwd. Create it in an earlier RUN step (e.g. adduser) or use a numeric uid.");
        }
        if (account is not null)
        {
            gid = int.TryParse(account[3], NumberStyles.None, CultureInfo.InvariantCulture, out var primary) ? primary : null;
            home = account[5].Length > 0 ? account[5] : "/";
        }
        if (groupPart is not null)
        {
            if (int.TryParse(groupPart, NumberStyles.None, CultureInfo.InvariantCulture, out var numeric)) gid = numeric;
            else
            {
                var group = ReadTable(image, "etc/group").FirstOrDefault(f => f.Length >= 3 && f[0] == groupPart);
                if (group is not null) gid = int.Parse(group[2], CultureInfo.InvariantCulture);
                else if (groupPart == RootName) gid = 0;
                else throw new OrchestratorException($"USER '{spec}': no group '{groupPart}' in the image's /etc/group. Create it in an earlier RUN step (e.g. addgroup) or use a numeric gid.");
            }
        }
        var userName = account?[0];
        var named = userName is null
            ? []
            : ReadTable(image, "etc/group")
                .Where(f => f.Length >= 4 && f[3].Split(',', StringSplitOptions.RemoveEmptyEntries).Contains(userName))
                .Select(f => int.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var g) ? g : -1)
                .Where(g => g >= 0);
        var supplementary = named.Prepend(gid ?? 0).Distinct().ToList();
        // HOME is the account's folder, and "/" without an account, root included, as runc sets it under BuildKit.
        return new ImageUser(uid, gid ?? 0, home) { SupplementaryGroups = supplementary };
    }

    /// <summary>
    /// The owner of what COPY/ADD <c>--chown</c> and WORKDIR write, by BuildKit's rule for file operations (it differs from
    /// the one for processes above): a numeric user without a group gives its number as the group too (<c>1000</c> is
    /// 1000:1000, whatever /etc/passwd says); a name takes its uid and gid from /etc/passwd; a group, when given, wins.
    /// </summary>
    public static (int Uid, int Gid) FileOwner(string spec, LayerStackView image)
    {
        var resolved = Resolve(spec, image);
        if (!spec.Contains(':') && int.TryParse(spec, NumberStyles.None, CultureInfo.InvariantCulture, out var uid)) return (uid, uid);
        return (resolved.Uid, resolved.Gid);
    }

    private static List<string[]> ReadTable(LayerStackView image, string path)
    {
        var file = image.Resolve(path);
        if (file is null || !File.Exists(file)) return [];
        return File.ReadLines(file).Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split(':')).ToList();
    }
}
