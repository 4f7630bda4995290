using System.ComponentModel;
using System.Diagnostics;

namespace Orchestrator.Execution.Local;

/// <summary>
/// Every step starts through <c>env --default-signal</c> (GNU coreutils 8.31 or later): the .NET host ignores
/// SIGPIPE, an ignored signal survives exec and a shell cannot undo it, so env resets every disposition and
/// <c>yes | head</c> ends as under Docker. Whether this machine's env can is checked once per process, not by
/// every step's sandbox.
/// </summary>
internal static class SignalResettingEnv
{
    private static readonly Lazy<bool> s_supported = new(Probe);

    /// <summary>Starts the check, so the first step does not wait for it.</summary>
    public static void ProbeInBackground() => _ = Task.Run(() => s_supported.Value);

    /// <exception cref="OrchestratorException">This machine's env cannot reset signal dispositions.</exception>
    public static void EnsureSupported()
    {
        if (!s_supported.Value)
            throw new OrchestratorException("the step sandbox could not be set up: env from GNU coreutils 8.31 or later is needed (env --default-signal)");
    }

    private static bool Probe()
    {
        try
        {
            if (HostTool.TryFind("env") is not { } env) return false;
            var start = new ProcessStartInfo(env) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { "--default-signal", "true" }) start.ArgumentList.Add(arg);
            using var process = Process.Start(start);
            if (process is null) return false;
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (Win32Exception)
        {
            return false; // env could not be started
        }
    }
}
