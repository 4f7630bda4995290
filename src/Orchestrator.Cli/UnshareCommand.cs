using System.CommandLine;
using System.Diagnostics;

namespace Orchestrator.Cli;

/// <summary>
/// <c>dotnet orchestrate unshare [-- COMMAND [ARG...]]</c>: runs a command in the user namespace builds run
/// in (see <see cref="RootlessNamespace"/>): to delete a cache whose files belong to subordinate ids, or to
/// host the builder as a library (a Cake or Nuke build) with the same powers as the CLI.
/// </summary>
internal sealed class UnshareCommand
{
    private readonly Argument<string[]> _command = new("command")
    {
        Description = "The command and its arguments (default: $SHELL).",
        Arity = ArgumentArity.ZeroOrMore,
    };

    public Command Create()
    {
        var command = new Command("unshare", "Run a command inside the user namespace builds use (a non-root user's subordinate ids mapped; as root: the command as is).");
        command.Arguments.Add(_command);
        command.SetAction((result, token) => RunAsync(result.GetValue(_command) ?? [], token));
        return command;
    }

    private static async Task<int> RunAsync(string[] command, CancellationToken cancellationToken)
    {
        if (command.Length == 0) command = [Environment.GetEnvironmentVariable("SHELL") is { Length: > 0 } shell ? shell : "/bin/sh"];
        if (!Environment.IsPrivilegedProcess)
            await Console.Error.WriteLineAsync($"note: no user namespace was entered (no subordinate id range for this user in /etc/subuid and /etc/subgid, or {RootlessNamespace.Variable}=off); '{command[0]}' runs as the user itself.").ConfigureAwait(false);
        var start = new ProcessStartInfo(command[0]) { UseShellExecute = false };
        foreach (var arg in command.Skip(1)) start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new OrchestratorException($"could not start '{command[0]}'.");
        }
        catch (System.ComponentModel.Win32Exception error)
        {
            throw new OrchestratorException($"could not start '{command[0]}': {error.Message}. Give a program on PATH or its full path.");
        }
        using (process)
        {
            try
            {
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                throw;
            }
            return process.ExitCode;
        }
    }
}
