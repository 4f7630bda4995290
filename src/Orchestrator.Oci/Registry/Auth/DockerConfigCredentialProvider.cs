using System.Text;
using System.Text.Json;

namespace Orchestrator.Oci.Registry.Auth;

/// <summary>
/// Credentials from a Docker <c>config.json</c>: <c>credHelpers</c> per registry, then the
/// <c>auths</c> entry (<c>auth</c> = base64 user:password, or <c>username</c>/<c>password</c>, or
/// <c>identitytoken</c>), then <c>credsStore</c>. The same file format is what a
/// <c>kubernetes.io/dockerconfigjson</c> Secret holds, so its mounted path works as is.
/// </summary>
public sealed class DockerConfigCredentialProvider : ICredentialProvider
{
    /// <summary>Docker Hub's historical key in <c>auths</c>.</summary>
    public const string DockerHubServerUrl = "https://index.docker.io/v1/";

    private readonly string _path;
    private readonly string? _helperDirectory;
    private readonly Lazy<DockerConfigFile?> _file;

    public DockerConfigCredentialProvider(string configPath, string? helperDirectory = null)
    {
        _path = configPath;
        _helperDirectory = helperDirectory;
        _file = new Lazy<DockerConfigFile?>(Load);
    }

    /// <summary>
    /// <paramref name="explicitPath"/> if given (file, or folder holding config.json), else
    /// <c>$DOCKER_CONFIG/config.json</c>, else <c>~/.docker/config.json</c>.
    /// </summary>
    public static DockerConfigCredentialProvider FromEnvironment(string? explicitPath = null)
    {
        var path = explicitPath;
        if (path is null)
        {
            var folder = Environment.GetEnvironmentVariable("DOCKER_CONFIG");
            folder = string.IsNullOrEmpty(folder)
                ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker")
                : folder;
            path = Path.Combine(folder, "config.json");
        }
        else if (Directory.Exists(path))
        {
            path = Path.Combine(path, "config.json");
        }
        return new DockerConfigCredentialProvider(path);
    }

    public string ConfigPath => _path;

    public async Task<RegistryCredentials?> GetCredentialsAsync(string registry, CancellationToken cancellationToken)
    {
        var file = _file.Value;
        if (file is null) return null;
        var keys = KeysFor(registry);

        foreach (var key in keys)
        {
            if (file.Helpers.TryGetValue(key, out var helper))
                return await new CredentialHelper(helper, _helperDirectory).GetAsync(ServerUrlFor(registry), cancellationToken).ConfigureAwait(false);
        }
        foreach (var (key, entry) in file.Auths)
        {
            if (!keys.Contains(NormaliseKey(key))) continue;
            var credentials = Decode(entry, key);
            if (credentials is not null) return credentials;
        }
        if (file.Store is not null)
            return await new CredentialHelper(file.Store, _helperDirectory).GetAsync(ServerUrlFor(registry), cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>The lookup keys of a registry: its host[:port], and Docker Hub's aliases for docker.io.</summary>
    internal static HashSet<string> KeysFor(string registry)
    {
        var keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { NormaliseKey(registry) };
        if (registry is ImageReference.DockerHub or "index.docker.io" or "registry-1.docker.io")
            keys.UnionWith(["docker.io", "index.docker.io", "registry-1.docker.io"]);
        return keys;
    }

    /// <summary><c>https://index.docker.io/v1/</c> → <c>index.docker.io</c>; <c>http://host:5000</c> → <c>host:5000</c>.</summary>
    internal static string NormaliseKey(string key)
    {
        var text = key.Trim();
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) text = text[(scheme + 3)..];
        var slash = text.IndexOf('/');
        if (slash >= 0) text = text[..slash];
        return text.ToLowerInvariant();
    }

    private static string ServerUrlFor(string registry) =>
        registry is ImageReference.DockerHub or "index.docker.io" or "registry-1.docker.io" ? DockerHubServerUrl : registry;

    private RegistryCredentials? Decode(JsonElement entry, string key)
    {
        if (entry.ValueKind != JsonValueKind.Object) return null;
        var source = $"{_path} (auths.\"{key}\")";
        if (entry.TryGetProperty("identitytoken", out var token) && token.GetString() is { Length: > 0 } identityToken)
            return new RegistryCredentials(null, null, identityToken, source);
        if (entry.TryGetProperty("auth", out var auth) && auth.GetString() is { Length: > 0 } encoded)
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            }
            catch (FormatException)
            {
                throw new OrchestratorException($"{source}: 'auth' is not base64; it must be base64 of 'user:password' (re-run docker login)");
            }
            var colon = decoded.IndexOf(':');
            if (colon < 0)
                throw new OrchestratorException($"{source}: 'auth' must decode to 'user:password' (re-run docker login)");
            return RegistryCredentials.FromPassword(decoded[..colon], decoded[(colon + 1)..], source);
        }
        if (entry.TryGetProperty("username", out var user) && entry.TryGetProperty("password", out var password)
            && user.GetString() is { } u && password.GetString() is { } p)
            return RegistryCredentials.FromPassword(u, p, source);
        return null;
    }

    private DockerConfigFile? Load()
    {
        if (!File.Exists(_path)) return null;
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(File.ReadAllBytes(_path));
        }
        catch (JsonException e)
        {
            throw new OrchestratorException($"Docker config '{_path}' is not valid JSON (line {e.LineNumber + 1}): fix or remove it");
        }
        using (json)
        {
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new OrchestratorException($"Docker config '{_path}' must be a JSON object");
            var auths = new Dictionary<string, JsonElement>();
            if (root.TryGetProperty("auths", out var authsElement) && authsElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in authsElement.EnumerateObject()) auths[p.Name] = p.Value.Clone();
            }
            else
            {
                // Legacy .dockercfg: the registries sit at the top level.
                foreach (var p in root.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Object && p.Value.TryGetProperty("auth", out _)))
                    auths[p.Name] = p.Value.Clone();
            }
            var helpers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (root.TryGetProperty("credHelpers", out var helpersElement) && helpersElement.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in helpersElement.EnumerateObject())
                    if (p.Value.GetString() is { Length: > 0 } name) helpers[NormaliseKey(p.Name)] = name;
            }
            var store = root.TryGetProperty("credsStore", out var storeElement) && storeElement.GetString() is { Length: > 0 } s ? s : null;
            return new DockerConfigFile(auths, helpers, store);
        }
    }

    private sealed record DockerConfigFile(Dictionary<string, JsonElement> Auths, Dictionary<string, string> Helpers, string? Store);
}
