using System.Diagnostics;
using System.Text.Json;

namespace Orchestrator.Oci.Registry.Auth;

/// <summary>
/// Runs a Docker credential helper (<c>docker-credential-&lt;name&gt; get</c>): the server URL goes
/// to stdin, <c>{"Username","Secret"}</c> comes back on stdout.
/// </summary>
public sealed class CredentialHelper(string name, string? searchDirectory = null)
{
    public string ExecutableName => "docker-credential-" + name;

    public async Task<RegistryCredentials?> GetAsync(string serverUrl, CancellationToken cancellationToken)
    {
        var executable = Resolve() ?? throw new OrchestratorException(
            $"credential helper '{ExecutableName}' named in Docker config.json for '{serverUrl}' is not on PATH; install it or remove it from credHelpers/credsStore");
        var start = new ProcessStartInfo(executable, "get")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start) ?? throw new OrchestratorException($"could not start credential helper '{ExecutableName}'");
        await process.StandardInput.WriteAsync(serverUrl.AsMemory(), cancellationToken).ConfigureAwait(false);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new OrchestratorException($"credential helper '{ExecutableName}' did not answer within 30 s for '{serverUrl}'");
        }
        var stdout = await output.ConfigureAwait(false);
        var stderr = await error.ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            // Helpers report "credentials not found" on a non-zero exit; that simply means anonymous.
            if ((stdout + stderr).Contains("not found", StringComparison.OrdinalIgnoreCase)) return null;
            throw new OrchestratorException($"credential helper '{ExecutableName}' failed for '{serverUrl}' (exit {process.ExitCode}): {stderr.Trim()}");
        }
        try
        {
            using var json = JsonDocument.Parse(stdout);
            var username = json.RootElement.TryGetProperty("Username", out var u) ? u.GetString() : null;
            var secret = json.RootElement.TryGetProperty("Secret", out var s) ? s.GetString() : null;
            if (string.IsNullOrEmpty(secret)) return null;
            var source = $"credential helper '{ExecutableName}'";
            // Docker's convention: the user name "<token>" means the secret is an identity token.
            return username == "<token>"
                ? new RegistryCredentials(null, null, secret, source)
                : RegistryCredentials.FromPassword(username ?? "", secret, source);
        }
        catch (JsonException)
        {
            throw new OrchestratorException($"credential helper '{ExecutableName}' printed something that is not JSON for '{serverUrl}'");
        }
    }

    private string? Resolve()
    {
        var directories = searchDirectory is not null
            ? [searchDirectory]
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return directories.Select(d => Path.Combine(d, ExecutableName)).FirstOrDefault(File.Exists);
    }
}
