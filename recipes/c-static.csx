// CStatic: a C program linked statically and shipped alone on an empty base. See docs/recipes.md.
#nullable enable
using Orchestrator.Recipes;

/// <summary>C programs linked statically, each image holding one binary and nothing else.</summary>
public static class CStaticRecipes
{
    /// <summary>A toolchain whose libc has static archives (glibc's libc6-dev, musl).</summary>
    public const string DefaultImage = "gcc:14-bookworm";

    /// <summary>The build command: every .c file of the context linked into /out/app.</summary>
    public const string DefaultCommand = "cc -static -Os -s -o /out/app *.c";

    /// <summary>
    /// Two nodes: a stage <c>NAME-build</c> on the toolchain that copies <paramref name="dir"/> and runs
    /// <paramref name="command"/>, which must write the binary to <c>/out/app</c>; and the image
    /// <paramref name="name"/> on <c>FromScratch()</c> holding only <c>/app</c>, run as the unprivileged
    /// <paramref name="user"/>.
    /// </summary>
    /// <param name="from">A toolchain stage to build in instead of <paramref name="image"/>, e.g.
    /// <c>DebianBase(["gcc", "libc6-dev"])</c>.</param>
    public static RecipeBuilder CStatic(RecipeBook book, string name, string dir, string command = DefaultCommand, string user = "65534:65534", string image = DefaultImage, RecipeBuilder? from = null)
    {
        var build = book.Stage(name + "-build");
        if (from is null) build.From(image); else build.From(from);
        build.Context(dir)
            .Workdir("/src")
            .Copy(".", "./")
            .Run("mkdir -p /out && " + command);
        return book.Image(name)
            .FromScratch()
            .CopyFrom(build, "/out/app", "/app", chmod: "0755")
            .User(user)
            .Entrypoint("/app");
    }
}

#if !ORCHESTRATOR_RECIPES_LIBRARY
/// <summary>A static C binary on an empty base: build stage NAME-build, image NAME (see CStaticRecipes.CStatic).</summary>
RecipeBuilder CStatic(string name, string dir, string command = CStaticRecipes.DefaultCommand, string user = "65534:65534", string image = CStaticRecipes.DefaultImage, RecipeBuilder? from = null) =>
    CStaticRecipes.CStatic(Book, name, dir, command, user, image, from);
#endif
