using System.Globalization;

namespace Orchestrator.Testing;

/// <summary>
/// Who runs the tests on the machine. A non-root user's test host runs as root of a user namespace
/// (tests/test-host), so the effective uid alone does not tell root from a user.
/// </summary>
public static class HostUser
{
    /// <summary>The machine's uid of this process (outside any user namespace).</summary>
    public static uint Id
    {
        get
        {
            var self = SelfUid();
            foreach (var line in File.ReadAllLines("/proc/self/uid_map"))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => uint.Parse(p, CultureInfo.InvariantCulture)).ToArray();
                if (parts.Length == 3 && self >= parts[0] && self - parts[0] < parts[2]) return parts[1] + (self - parts[0]);
            }
            return self;
        }
    }

    /// <summary>True only for the machine's root (not for root of a user namespace).</summary>
    public static bool IsMachineRoot => Id == 0;

    /// <summary>True for root of a user namespace that a non-root user entered (tests/test-host).</summary>
    public static bool IsNamespaceRoot => SelfUid() == 0 && Id != 0;

    /// <summary>The effective uid, from "Uid: real effective saved filesystem".</summary>
    private static uint SelfUid() =>
        uint.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal))
            .Split('\t', StringSplitOptions.RemoveEmptyEntries)[2].Trim(), CultureInfo.InvariantCulture);
}
