namespace Orchestrator.Cli;

/// <summary>A <c>--secret id=ID,src=PATH</c> value (BuildKit's syntax; <c>source=</c> and a bare <c>id</c> with <c>env=</c> are not needed here).</summary>
internal readonly record struct SecretSpec(string Id, string Source)
{
    public static bool TryParse(string value, out SecretSpec spec, out string? error)
    {
        spec = default;
        string? id = null, source = null;
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=');
            var key = equals < 0 ? part : part[..equals];
            var text = equals < 0 ? "" : part[(equals + 1)..];
            switch (key)
            {
                case "id": id = text; break;
                case "src" or "source": source = text; break;
                default:
                    error = $"--secret '{value}': unknown key '{key}'; use id=ID,src=PATH";
                    return false;
            }
        }
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(source))
        {
            error = $"--secret '{value}' needs both id= and src=, e.g. --secret id=npmrc,src=$HOME/.npmrc";
            return false;
        }
        var path = Path.GetFullPath(source.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), source[2..]) : source);
        if (!File.Exists(path))
        {
            error = $"--secret id={id}: file '{source}' not found";
            return false;
        }
        spec = new SecretSpec(id, path);
        error = null;
        return true;
    }
}
