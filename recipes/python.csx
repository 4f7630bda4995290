// PythonApp: a Python service image in a virtual environment. See docs/recipes.md.
#nullable enable
using Orchestrator.Recipes;

/// <summary>Python applications installed with pip into a virtual environment.</summary>
public static class PythonRecipes
{
    public const string DefaultImage = "python:3.12-slim-bookworm";

    /// <summary>Where the virtual environment lives in the image.</summary>
    public const string VirtualEnv = "/opt/venv";

    /// <summary>
    /// An image of the Python project in <paramref name="dir"/>: a virtual environment in <c>/opt/venv</c>,
    /// <c>requirements.txt</c> copied and installed before the sources (pip's download cache a cache mount), the
    /// sources in <c>/app</c>, owned by root and run as the unprivileged <paramref name="user"/> with
    /// <c>python MAIN</c> from the environment.
    /// </summary>
    /// <param name="image">A base with <c>python3</c> and its <c>venv</c> module (Debian: python3-venv).</param>
    /// <param name="from">A stage to build on instead of <paramref name="image"/>.</param>
    public static RecipeBuilder PythonApp(RecipeBook book, string name, string dir, string main = "app.py", string? port = null, string user = "10001:10001", string image = DefaultImage, RecipeBuilder? from = null)
    {
        var app = book.Image(name);
        if (from is null) app.From(image); else app.From(from);
        app.Context(dir)
            .Env("PYTHONDONTWRITEBYTECODE", "1")
            .Env("PYTHONUNBUFFERED", "1")
            .Env("VIRTUAL_ENV", VirtualEnv)
            .Env("PATH", VirtualEnv + "/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
            .Run($"python3 -m venv {VirtualEnv}")
            .Workdir("/app")
            .Copy("requirements.txt", "./")
            .Run($"{VirtualEnv}/bin/pip install --disable-pip-version-check -r requirements.txt", o => o.CacheMount("/root/.cache/pip", id: "pip"))
            .Copy(".", "./")
            .User(user);
        if (port is not null) app.Expose(port);
        return app.Cmd($"{VirtualEnv}/bin/python", main);
    }
}

#if !ORCHESTRATOR_RECIPES_LIBRARY
/// <summary>An image of the Python project in <paramref name="dir"/> (see PythonRecipes.PythonApp).</summary>
RecipeBuilder PythonApp(string name, string dir, string main = "app.py", string? port = null, string user = "10001:10001", string image = PythonRecipes.DefaultImage, RecipeBuilder? from = null) =>
    PythonRecipes.PythonApp(Book, name, dir, main, port, user, image, from);
#endif
