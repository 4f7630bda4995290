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

    /// <summary>ENV lookup of registry base images for imported Dockerfiles (see <see cref="Recipes.RecipeBook.BaseImageEnvironment"/>).</summary>
    public Func<string, IReadOnlyDictionary<string, string>?>? BaseImageEnvironment { get; init; }

    /// <summary>The per-user cache folder shared with the blob and layer stores: <c>$XDG_CACHE_HOME/orchestrator</c>, else <c>~/.cache/orchestrator</c>.</summary>
    public static string DefaultCacheDirectory => Oci.Storage.LocalBlobStore.DefaultRoot;
}
