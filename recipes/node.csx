// NodeApp: a Node.js service image. See docs/recipes.md.
#nullable enable
using Orchestrator.Recipes;

/// <summary>Node.js applications built with npm.</summary>
public static class NodeRecipes
{
    public const string DefaultImage = "node:22-bookworm-slim";

    /// <summary>Where the optional secret <c>npm-ca</c> is mounted during <c>npm ci</c>, for <c>cafile=</c> in the <c>npmrc</c> secret.</summary>
    public const string CaBundle = "/run/secrets/npm-ca";

    /// <summary>
    /// An image of the npm project in <paramref name="dir"/>: <c>package.json</c> and <c>package-lock.json</c> are
    /// copied first and <c>npm ci --omit=dev</c> runs before the sources are copied, so a source change keeps the
    /// dependency layer cached; npm's download cache is a cache mount, and the secrets <c>npmrc</c> (mounted as
    /// <c>/root/.npmrc</c>: registry, token, <c>cafile=</c>) and <c>npm-ca</c> (a CA bundle) are mounted when given
    /// (<c>--secret id=npmrc,src=...</c>), never stored. The app lives in <c>/app</c>, owned by root and run as the
    /// unprivileged <paramref name="user"/> with <c>node MAIN</c>.
    /// </summary>
    /// <param name="dir">The project folder (the build context), relative to the root script's folder.</param>
    /// <param name="main">The script <c>node</c> starts, relative to the project folder.</param>
    /// <param name="image">A base with node and npm on PATH.</param>
    /// <param name="from">A stage to build on instead of <paramref name="image"/>.</param>
    public static RecipeBuilder NodeApp(RecipeBook book, string name, string dir, string main = "index.js", string? port = null, string user = "10001:10001", string image = DefaultImage, RecipeBuilder? from = null)
    {
        var app = book.Image(name);
        if (from is null) app.From(image); else app.From(from);
        app.Context(dir)
            .Workdir("/app")
            .Env("NODE_ENV", "production")
            .Copy(["package.json", "package-lock.json"], "./")
            // Secrets, both optional: an .npmrc (registry, token, cafile=) and a CA bundle for it to name.
            .Run("npm ci --omit=dev --no-audit --no-fund", o => o.CacheMount("/root/.npm", id: "npm").Secret("npmrc", "/root/.npmrc").Secret("npm-ca", CaBundle))
            .Copy(".", "./")
            .User(user);
        if (port is not null) app.Expose(port);
        return app.Cmd("node", main);
    }
}

#if !ORCHESTRATOR_RECIPES_LIBRARY
/// <summary>An image of the npm project in <paramref name="dir"/> (see NodeRecipes.NodeApp).</summary>
RecipeBuilder NodeApp(string name, string dir, string main = "index.js", string? port = null, string user = "10001:10001", string image = NodeRecipes.DefaultImage, RecipeBuilder? from = null) =>
    NodeRecipes.NodeApp(Book, name, dir, main, port, user, image, from);
#endif
