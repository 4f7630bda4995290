using Orchestrator.Dockerfiles;
using Orchestrator.Recipes;
using Orchestrator.Scripting;

namespace Orchestrator.Tests.Recipes.Library;

/// <summary>
/// One source of truth: the recipes a build.csx gets with <c>#load "recipes/x.csx"</c> and the ones a C# host
/// gets from the Orchestrator.Recipes.Library assembly are the same files compiled twice, so the same calls
/// give the same stages (names, contexts, bases, every instruction as a Dockerfile renders it).
/// </summary>
[Collection(RecipeLibraryCollection.Name)]
public sealed class RecipeLibraryIdentityTests(RecipeLibraryEnvironment env)
{
    private static string Describe(RecipeSet set) => string.Join("\n---\n", set.Stages.Select(s =>
        $"{s.Name} image={s.IsImage} context={s.Context} outputs={string.Join(",", s.Outputs)}\n{DockerfileRenderer.Render(s, name => "stage/" + name)}"));

    [Fact]
    public async Task A_script_that_loads_the_recipes_and_a_csharp_host_using_the_library_declare_the_same_stages()
    {
        var folder = env.Project("identity", new Dictionary<string, string>
        {
            ["build.csx"] = """
                #load "../recipes/busybox.csx"
                #load "../recipes/debian.csx"
                #load "../recipes/node.csx"
                #load "../recipes/python.csx"
                #load "../recipes/dotnet.csx"
                #load "../recipes/go.csx"
                #load "../recipes/static-site.csx"
                #load "../recipes/c-static.csx"
                var busybox = BusyboxBase();
                var debian = DebianBase(["ca-certificates", "tini"]);
                NodeApp("web", "web", port: "3000", from: debian).Output("out/web");
                PythonApp("py", "py", main: "main.py").Output("out/py");
                DotnetApp("api", "src/Api/Api.csproj", port: "8080").Output("out/api");
                GoApp("gosvc", "svc", package: "./cmd/gosvc").Output("out/gosvc");
                StaticSite("site", "site", from: busybox).Output("out/site");
                CStatic("hello", "c", from: debian).Output("out/hello");
                """,
        });
        var evaluation = await new ScriptHost().EvaluateAsync(Path.Combine(folder, "build.csx"), new ScriptHostOptions(), CancellationToken.None);
        var fromScript = evaluation.Globals.Build();

        var book = new RecipeBook(folder);
        var busybox = BusyboxRecipes.BusyboxBase(book);
        var debian = DebianRecipes.DebianBase(book, ["ca-certificates", "tini"]);
        NodeRecipes.NodeApp(book, "web", "web", port: "3000", from: debian).Output("out/web");
        PythonRecipes.PythonApp(book, "py", "py", main: "main.py").Output("out/py");
        DotnetRecipes.DotnetApp(book, "api", "src/Api/Api.csproj", port: "8080").Output("out/api");
        GoRecipes.GoApp(book, "gosvc", "svc", package: "./cmd/gosvc").Output("out/gosvc");
        StaticSiteRecipes.StaticSite(book, "site", "site", from: busybox).Output("out/site");
        CStaticRecipes.CStatic(book, "hello", "c", from: debian).Output("out/hello");
        var fromLibrary = book.Build();

        Assert.Equal(11, fromLibrary.Stages.Count);
        Assert.Equal(Describe(fromLibrary), Describe(fromScript));
    }

    [Fact]
    public void The_library_assembly_holds_every_recipe_file_of_the_repository()
    {
        var types = typeof(NodeRecipes).Assembly.GetExportedTypes().Where(t => t.Name.EndsWith("Recipes", StringComparison.Ordinal)).Select(t => t.Name).Order().ToArray();
        var files = Directory.EnumerateFiles(Path.Combine(Cli.RepositoryFiles.Root, "recipes"), "*.csx").Count();
        Assert.Equal(files, types.Length);
        Assert.Equal(["BusyboxRecipes", "CStaticRecipes", "DebianRecipes", "DotnetRecipes", "GoRecipes", "NodeRecipes", "PythonRecipes", "StaticSiteRecipes"], types);
    }

    [Fact]
    public void DebianBase_without_packages_names_the_recipe_and_the_fix()
    {
        var error = Assert.Throws<OrchestratorException>(() => DebianRecipes.DebianBase(new RecipeBook(env.Work), [], name: "tools"));
        Assert.Contains("DebianBase 'tools': no packages given", error.Message);
    }

    [Fact]
    public void DotnetApp_given_a_folder_instead_of_a_project_names_the_fix()
    {
        var error = Assert.Throws<OrchestratorException>(() => DotnetRecipes.DotnetApp(new RecipeBook(env.Work), "api", "src/Api"));
        Assert.Contains("'src/Api' is not a project file; give the .csproj", error.Message);
    }
}
