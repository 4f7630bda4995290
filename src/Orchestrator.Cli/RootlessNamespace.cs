using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Orchestrator.Execution.Local;

namespace Orchestrator.Cli;

/// <summary>
/// Lets a non-root user build images whose steps run as other users. When the user has a subordinate id
/// range (<c>/etc/subuid</c>, <c>/etc/subgid</c>; Debian's <c>useradd</c> adds one) this process is executed
/// again, as root of a new user namespace that maps the user's own id to 0 and the range to 1…n (util-linux
/// <c>unshare --map-root-user --map-auto</c>, which calls the setuid <c>newuidmap</c>/<c>newgidmap</c>).
/// Inside, the builder is root of that namespace only: extracted files keep their owners, steps may run as
/// any id of the range, and no capability reaches beyond the user's own ids. Without a range the build runs
/// as the user itself (its id is mapped to root in each step; non-root USER steps are refused with the fix).
/// </summary>
internal static class RootlessNamespace
{
    /// <summary><c>entered</c> once inside; <c>off</c> keeps the builder out of the namespace.</summary>
    public const string Variable = "ORCHESTRATOR_USERNS";

    private static readonly string[] NoNamespaceArguments = ["--help", "-h", "-?", "--version", "--plan"];

    /// <summary>Re-executes this process inside the namespace and does not return, when that is possible and useful.</summary>
    public static void EnterIfPossible(string[] args)
    {
        if (Environment.IsPrivilegedProcess || !OperatingSystem.IsLinux()) return;
        if (Environment.GetEnvironmentVariable(Variable) is "entered" or "off") return;
        if (args.Any(NoNamespaceArguments.Contains)) return;
        if (Environment.ProcessPath is not { } self || !File.Exists("/proc/self/cmdline")) return;
        if (!HasSubordinateRanges() || HostTool.TryFind("unshare") is not { } unshare || !CanMap(unshare)) return;

        // /proc/self/cmdline holds the exact argv (for `dotnet x.dll` too); the program itself is /proc/self/exe.
        var argv = File.ReadAllText("/proc/self/cmdline").TrimEnd('\0').Split('\0');
        string?[] command = [unshare, "--user", "--map-root-user", "--map-auto", "--", self, .. argv.Skip(1), null];
        // The _CONTAINERS_ pair is what podman and buildah set in their own namespace, so those tools run from
        // `dotnet orchestrate unshare` keep using the user's rootless storage and configuration.
        (string Name, string Value)[] added = [(Variable, "entered"), ("_CONTAINERS_USERNS_CONFIGURED", "done"), ("_CONTAINERS_ROOTLESS_UID", GetEffectiveUserId().ToString(System.Globalization.CultureInfo.InvariantCulture))];
        var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Where(e => !added.Any(a => a.Name == (string)e.Key))
            .Select(e => $"{e.Key}={e.Value}")
            .Concat(added.Select(a => $"{a.Name}={a.Value}"))
            .Cast<string?>()
            .Append(null)
            .ToArray();
        Execve(unshare, command, environment);
        // Only reached when execve failed: build as the user itself.
    }

    /// <summary>Cheap first check (no process): /etc/subuid and /etc/subgid name this user, by name or uid.</summary>
    private static bool HasSubordinateRanges()
    {
        var keys = new[] { Environment.UserName + ":", GetEffectiveUserId().ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" };
        static bool Names(string file, string[] keys) =>
            File.Exists(file) && File.ReadLines(file).Any(line => keys.Any(key => line.StartsWith(key, StringComparison.Ordinal)));
        return Names("/etc/subuid", keys) && Names("/etc/subgid", keys);
    }

    /// <summary>True when the user's subordinate ranges are accepted by newuidmap/newgidmap (probed for real).</summary>
    private static bool CanMap(string unshare)
    {
        try
        {
            var start = new ProcessStartInfo(unshare) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var arg in new[] { "--user", "--map-root-user", "--map-auto", "true" }) start.ArgumentList.Add(arg);
            using var probe = Process.Start(start);
            if (probe is null) return false;
            if (!probe.WaitForExit(10_000)) { probe.Kill(); return false; }
            return probe.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEffectiveUserId();

    // LPStr is UTF-8 on Unix.
    [DllImport("libc", EntryPoint = "execve", SetLastError = true)]
    private static extern int Execve([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [MarshalAs(UnmanagedType.LPArray, ArraySubType = UnmanagedType.LPStr)] string?[] argv, [MarshalAs(UnmanagedType.LPArray, ArraySubType = UnmanagedType.LPStr)] string?[] envp);
}
