// StaticSite: a folder of files served by busybox httpd. See docs/recipes.md.
#nullable enable
using Orchestrator.Recipes;

/// <summary>Static web sites served by busybox's httpd.</summary>
public static class StaticSiteRecipes
{
    public const string DefaultImage = "busybox:1.36";

    /// <summary>Where the site's files are in the image.</summary>
    public const string Root = "/srv/www";

    /// <summary>
    /// An image serving the files of <paramref name="dir"/> from <c>/srv/www</c> with <c>httpd -f -p PORT</c>,
    /// run as the unprivileged <paramref name="user"/> (a port above 1023 needs no capability). The files are
    /// owned by root, so the server cannot change them.
    /// </summary>
    /// <param name="image">A base with busybox's <c>httpd</c> on PATH.</param>
    /// <param name="from">A stage to build on instead of <paramref name="image"/>, e.g. <c>BusyboxBase()</c>.</param>
    public static RecipeBuilder StaticSite(RecipeBook book, string name, string dir, string port = "8080", string user = "65534:65534", string image = DefaultImage, RecipeBuilder? from = null)
    {
        var site = book.Image(name);
        if (from is null) site.From(image); else site.From(from);
        return site.Context(dir)
            .Copy(".", Root + "/")
            .User(user)
            .Expose(port)
            .Entrypoint("httpd", "-f", "-v", "-p", port, "-h", Root);
    }
}

#if !ORCHESTRATOR_RECIPES_LIBRARY
/// <summary>An image serving the files of <paramref name="dir"/> with busybox httpd (see StaticSiteRecipes.StaticSite).</summary>
RecipeBuilder StaticSite(string name, string dir, string port = "8080", string user = "65534:65534", string image = StaticSiteRecipes.DefaultImage, RecipeBuilder? from = null) =>
    StaticSiteRecipes.StaticSite(Book, name, dir, port, user, image, from);
#endif
