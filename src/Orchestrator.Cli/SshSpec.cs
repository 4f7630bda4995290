namespace Orchestrator.Cli;

/// <summary>
/// An <c>--ssh default|ID[=SOCKET]</c> value (BuildKit's syntax for agent sockets): <c>default</c> alone, or any id without a
/// path, is <c>$SSH_AUTH_SOCK</c>. Key files are not forwarded; the path must be an agent's socket.
/// </summary>
internal readonly record struct SshSpec(string Id, string Socket)
{
    public static bool TryParse(string value, out SshSpec spec, out string? error)
    {
        spec = default;
        var equals = value.IndexOf('=');
        var id = equals < 0 ? value : value[..equals];
        var path = equals < 0 ? Environment.GetEnvironmentVariable("SSH_AUTH_SOCK") : value[(equals + 1)..];
        if (id.Length == 0)
        {
            error = $"--ssh '{value}' needs an id: --ssh default or --ssh ID=SOCKET";
            return false;
        }
        if (string.IsNullOrEmpty(path))
        {
            error = $"--ssh {id}: no socket given and SSH_AUTH_SOCK is not set; start ssh-agent (eval $(ssh-agent); ssh-add) or pass --ssh {id}=SOCKET";
            return false;
        }
        if (path.Contains(','))
        {
            error = $"--ssh {id}: '{path}' names several paths; this builder forwards one agent socket per id";
            return false;
        }
        var full = Path.GetFullPath(path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path[2..]) : path);
        if (!File.Exists(full))
        {
            error = $"--ssh {id}: '{path}' not found; pass the socket of a running ssh-agent";
            return false;
        }
        spec = new SshSpec(id, full);
        error = null;
        return true;
    }

    public static IReadOnlyDictionary<string, string> ToDictionary(IEnumerable<string> values)
    {
        var agents = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values)
            if (TryParse(value, out var spec, out _)) agents[spec.Id] = spec.Socket;
        return agents;
    }

    public static void Validate(System.CommandLine.Option<string[]> option) => option.Validators.Add(result =>
    {
        foreach (var token in result.Tokens)
            if (!TryParse(token.Value, out _, out var error)) result.AddError(error!);
    });
}
