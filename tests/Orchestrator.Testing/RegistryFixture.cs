using Xunit;
using System.Diagnostics;
using System.Net;

namespace Orchestrator.Testing;

/// <summary>
/// A real registry: Debian's <c>docker-registry serve</c> (CNCF distribution) on a free loopback
/// port with its own temporary storage, optionally behind htpasswd Basic auth. Started once per
/// test class (xUnit class fixture), killed and deleted on dispose.
/// </summary>
public class RegistryFixture : IAsyncLifetime, IDisposable
{
    private Process? _process;

    public RegistryFixture() : this(null, null) { }

    protected RegistryFixture(string? username, string? password) : this(username, password, deleteEnabled: true) { }

    /// <param name="deleteEnabled">distribution's <c>storage.delete.enabled</c>: whether DELETE of manifests and blobs is allowed (405 otherwise).</param>
    protected RegistryFixture(string? username, string? password, bool deleteEnabled)
    {
        Username = username;
        Password = password;
        DeleteEnabled = deleteEnabled;
        Root = Directory.CreateTempSubdirectory("orchestrator-registry-").FullName;
    }

    /// <summary>The registry as a reference host: <c>127.0.0.1:&lt;port&gt;</c>.</summary>
    public string Address { get; private set; } = "";

    public int Port { get; private set; }

    public string Root { get; }

    public string StoragePath => Path.Combine(Root, "storage");

    public string? Username { get; }

    public string? Password { get; }

    public bool DeleteEnabled { get; }

    public string Log => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";

    private string LogPath => Path.Combine(Root, "registry.log");

    /// <summary>Where the registry keeps a blob's bytes (for tests that corrupt storage on purpose).</summary>
    public string BlobDataPath(string hex) => Path.Combine(StoragePath, "docker", "registry", "v2", "blobs", "sha256", hex[..2], hex, "data");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(StoragePath);
        string? auth = null;
        if (Username is not null)
        {
            var htpasswd = Path.Combine(Root, "htpasswd");
            var entry = await ExternalTool.RunAsync("htpasswd", "-Bbn", Username, Password!);
            await File.WriteAllTextAsync(htpasswd, entry.EnsureSuccess().StandardOutput.Trim() + "\n");
            auth = $"auth:\n  htpasswd:\n    realm: orchestrator-test\n    path: {htpasswd}\n";
        }

        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort.Next();
            Address = $"127.0.0.1:{Port}";
            var config = Path.Combine(Root, "config.yml");
            await File.WriteAllTextAsync(config,
                $"version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {StoragePath}\n  delete:\n    enabled: {(DeleteEnabled ? "true" : "false")}\n" +
                $"http:\n  addr: 127.0.0.1:{Port}\n" + HttpSettings + (auth ?? ""));
            var start = new ProcessStartInfo("docker-registry") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add("serve");
            start.ArgumentList.Add(config);
            _process = Process.Start(start) ?? throw new InvalidOperationException("could not start docker-registry");
            var log = new StreamWriter(LogPath, append: true) { AutoFlush = true };
            _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
            _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
            if (await WaitUntilAnsweringAsync()) return;
            Stop();
            if (attempt == 3) throw new InvalidOperationException($"docker-registry did not answer on {Address}:\n{Log}");
        }
    }

    /// <summary>More of distribution's <c>http:</c> section (indented by two spaces), e.g. its TLS files.</summary>
    protected virtual string HttpSettings => "";

    /// <summary>How the fixture asks whether the registry answers: plain HTTP unless a subclass serves TLS.</summary>
    protected virtual (string Scheme, HttpMessageHandler Handler) Probe() => ("http", new HttpClientHandler());

    private async Task<bool> WaitUntilAnsweringAsync()
    {
        var (scheme, handler) = Probe();
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && _process is { HasExited: false })
        {
            try
            {
                using var response = await http.GetAsync($"{scheme}://{Address}/v2/");
                // Another server may have taken the port between probing and binding: the answer counts only
                // once this registry has said it listens there.
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized && Log.Contains($"listening on {Address}")) return true;
            }
            catch (Exception error) when (error is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet, or too slow to answer on a busy machine: ask again until the deadline.
            }
            await Task.Delay(50);
        }
        return false;
    }

    private void Stop()
    {
        if (_process is null) return;
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        _process = null;
    }

    public Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        Stop();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        GC.SuppressFinalize(this);
    }
}
