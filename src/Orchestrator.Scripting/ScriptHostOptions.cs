namespace Orchestrator.Scripting;

/// <summary>How a build script is evaluated.</summary>
public sealed record ScriptHostOptions
{
    /// <summary>Values given with <c>--build-arg NAME=VALUE</c>.</summary>
    public IReadOnlyDictionary<string, string> BuildArgs { get; init; } = new Dictionary<string, string>();

    /// <summary>Environment lookup for <c>Arg(...)</c>; null means the process environment.</summary>
    public Func<string, string?>? Environment { get; init; }

    /// <summary>
    /// Folder holding compiled scripts under <c>scripts/&lt;key&gt;/</c>; null turns the cache off
    /// (<c>--no-cache</c>): every evaluation compiles.
    /// </summary>
    public string? CacheDirectory { get; init; }

    /// <summary>
    /// The per-user cache folder: <c>$XDG_CACHE_HOME/orchestrator</c>, else <c>~/.cache/orchestrator</c>
    /// (the local application data folder on Windows).
    /// </summary>
    public static string DefaultCacheDirectory
    {
        get
        {
            var xdg = System.Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (!string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)) return Path.Combine(xdg, "orchestrator");
            if (OperatingSystem.IsWindows())
                return Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.LocalApplicationData), "orchestrator", "cache");
            return Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".cache", "orchestrator");
        }
    }
}
