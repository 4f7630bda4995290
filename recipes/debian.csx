// DebianBase: a Debian stage with packages installed in one layer. See docs/recipes.md.
#nullable enable
using Orchestrator;
using Orchestrator.Recipes;

/// <summary>Debian bases with packages installed by apt in one layer.</summary>
public static class DebianRecipes
{
    public const string DefaultImage = "debian:bookworm-slim";

    /// <summary>
    /// A stage on <paramref name="image"/> (or the stage <paramref name="from"/>) with <paramref name="packages"/>
    /// installed in one RUN: <c>apt-get update</c>, <c>install --no-install-recommends</c>, the package lists
    /// removed in the same step, and <c>/var/cache/apt</c> a cache mount, so downloaded archives are reused by
    /// the next build and never reach the layer.
    /// </summary>
    public static RecipeBuilder DebianBase(RecipeBook book, string[] packages, string name = "debian", string image = DefaultImage, RecipeBuilder? from = null)
    {
        if (packages.Length == 0)
            throw new OrchestratorException($"DebianBase '{name}': no packages given; name at least one, e.g. DebianBase([\"ca-certificates\"]), or use Stage(\"{name}\").From(\"{image}\") for a plain base");
        var stage = book.Stage(name);
        if (from is null) stage.From(image); else stage.From(from);
        return stage.Run(InstallCommand(packages), o => o.CacheMount("/var/cache/apt", id: "apt-archives", sharing: "locked"));
    }

    /// <summary>
    /// The one shell command that installs <paramref name="packages"/>. Downloaded archives are kept (the
    /// docker-clean hook of Debian's images would delete them) because they live in the cache mount.
    /// </summary>
    public static string InstallCommand(IEnumerable<string> packages) =>
        "rm -f /etc/apt/apt.conf.d/docker-clean"
        + " && apt-get update"
        + " && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -o APT::Keep-Downloaded-Packages=true "
        + string.Join(" ", packages)
        + " && rm -rf /var/lib/apt/lists/*";
}

#if !ORCHESTRATOR_RECIPES_LIBRARY
/// <summary>A Debian stage with <paramref name="packages"/> installed in one layer (see DebianRecipes.DebianBase).</summary>
RecipeBuilder DebianBase(string[] packages, string name = "debian", string image = DebianRecipes.DefaultImage, RecipeBuilder? from = null) =>
    DebianRecipes.DebianBase(Book, packages, name, image, from);
#endif
