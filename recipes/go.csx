// GoApp: a Go program built in a toolchain stage, shipped alone on an empty base. See docs/recipes.md.
#nullable enable
using Orchestrator.Recipes;

/// <summary>Go programs: <c>go build</c> in a toolchain stage, the static binary on <c>FromScratch()</c>.</summary>
public static class GoRecipes
{
    public const string DefaultImage = "golang:1.23-bookworm";

    /// <summary>
    /// Two nodes: a stage <c>NAME-build</c> on the Go toolchain that copies <c>go.mod</c> and <c>go.sum</c>
    /// first and runs <c>go mod download</c>, then copies the sources and builds <paramref name="package"/> with
    /// <c>CGO_ENABLED=0</c> (module and build caches are cache mounts); and the image <paramref name="name"/>
    /// on an empty base holding only <c>/app</c> and the toolchain's CA certificates, run as the unprivileged
    /// <paramref name="user"/>.
    /// </summary>
    /// <param name="dir">The module folder (the build context); it must hold go.mod and go.sum (<c>go mod tidy</c> writes both).</param>
    /// <param name="package">The main package, relative to the module, e.g. <c>./cmd/api</c>.</param>
    /// <param name="from">A toolchain stage to build in instead of <paramref name="image"/>.</param>
    public static RecipeBuilder GoApp(RecipeBook book, string name, string dir, string package = ".", string? port = null, string user = "10001:10001", string image = DefaultImage, RecipeBuilder? from = null)
    {
        var build = book.Stage(name + "-build");
        if (from is null) build.From(image); else build.From(from);
        build.Context(dir)
            .Workdir("/src")
            .Copy(["go.mod", "go.sum"], "./")
            .Run("go mod download", o => o.CacheMount("/go/pkg/mod", id: "go-mod"))
            .Copy(".", "./")
            .Run($"CGO_ENABLED=0 go build -trimpath -ldflags=-s -o /out/app {package}",
                o => o.CacheMount("/go/pkg/mod", id: "go-mod").CacheMount("/root/.cache/go-build", id: "go-build"));
        var app = book.Image(name)
            .FromScratch()
            .CopyFrom(build, "/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs/ca-certificates.crt")
            .CopyFrom(build, "/out/app", "/app")
            .User(user);
        if (port is not null) app.Expose(port);
        return app.Entrypoint("/app");
    }
}

#if !ORCHESTRATOR_RECIPES_LIBRARY
/// <summary>A Go program: build stage NAME-build, image NAME on an empty base (see GoRecipes.GoApp).</summary>
RecipeBuilder GoApp(string name, string dir, string package = ".", string? port = null, string user = "10001:10001", string image = GoRecipes.DefaultImage, RecipeBuilder? from = null) =>
    GoRecipes.GoApp(Book, name, dir, package, port, user, image, from);
#endif
