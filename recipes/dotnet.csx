// DotnetApp: a .NET application published in an SDK stage and run on the runtime image. See docs/recipes.md.
#nullable enable
using Orchestrator.Recipes;

/// <summary>.NET applications: <c>dotnet publish</c> in an SDK stage, the output on a runtime image.</summary>
public static class DotnetRecipes
{
    /// <summary>The SDK the build stage needs: an image with <c>dotnet</c> (the SDK, not only the runtime) on PATH.</summary>
    public const string DefaultSdkImage = "mcr.microsoft.com/dotnet/sdk:10.0";

    /// <summary>The runtime the image runs on; <c>mcr.microsoft.com/dotnet/runtime:10.0</c> for non-web apps.</summary>
    public const string DefaultRuntimeImage = "mcr.microsoft.com/dotnet/aspnet:10.0";

    /// <summary>
    /// Two nodes: a stage <c>NAME-build</c> on the SDK that copies the project file alone and runs
    /// <c>dotnet restore</c> (NuGet's package folder a cache mount), then copies the context and runs
    /// <c>dotnet publish -c Release --no-restore -o /out</c>; and the image <paramref name="name"/> on the
    /// runtime with <c>/out</c> in <c>/app</c>, run as the unprivileged <paramref name="user"/> with
    /// <c>dotnet /app/ASSEMBLY.dll</c> (ASSEMBLY: the project file's name).
    /// </summary>
    /// <param name="project">The project file, relative to <paramref name="context"/>, e.g. <c>src/Api/Api.csproj</c>.</param>
    /// <param name="context">The build context, relative to the root script's folder: the folder holding the
    /// project and everything it references (Directory.Build.props, other projects).</param>
    public static RecipeBuilder DotnetApp(RecipeBook book, string name, string project, string context = ".", string? port = null, string user = "10001:10001", string sdkImage = DefaultSdkImage, string runtimeImage = DefaultRuntimeImage)
    {
        if (!project.EndsWith("proj", StringComparison.OrdinalIgnoreCase))
            throw new Orchestrator.OrchestratorException($"DotnetApp '{name}': '{project}' is not a project file; give the .csproj (or .fsproj) path relative to the context '{context}'");
        var assembly = System.IO.Path.GetFileNameWithoutExtension(project);
        var projectPath = "/src/" + project.Replace('\\', '/');
        var build = book.Stage(name + "-build")
            .From(sdkImage)
            .Context(context)
            .Workdir("/src")
            .Copy(project, projectPath)
            .Run($"dotnet restore {projectPath}", o => o.CacheMount("/root/.nuget/packages", id: "nuget"))
            .Copy(".", "./")
            .Run($"dotnet publish {projectPath} -c Release --no-restore -o /out", o => o.CacheMount("/root/.nuget/packages", id: "nuget"));
        var app = book.Image(name)
            .From(runtimeImage)
            .Workdir("/app")
            .CopyFrom(build, "/out/", "./")
            .User(user);
        if (port is not null) app.Env("ASPNETCORE_HTTP_PORTS", port).Expose(port);
        return app.Entrypoint("dotnet", $"/app/{assembly}.dll");
    }
}

#if !ORCHESTRATOR_RECIPES_LIBRARY
/// <summary>A .NET application: publish stage NAME-build on the SDK, image NAME on the runtime (see DotnetRecipes.DotnetApp).</summary>
RecipeBuilder DotnetApp(string name, string project, string context = ".", string? port = null, string user = "10001:10001", string sdkImage = DotnetRecipes.DefaultSdkImage, string runtimeImage = DotnetRecipes.DefaultRuntimeImage) =>
    DotnetRecipes.DotnetApp(Book, name, project, context, port, user, sdkImage, runtimeImage);
#endif
