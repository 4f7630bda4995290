using Orchestrator.Hosting;
using Orchestrator.Recipes;
using Orchestrator.Tests.Cli;

namespace Orchestrator.Tests.Hosting;

/// <summary>The script host in a load context of its own: its compiler stays there, the recipes come back as the engine's types.</summary>
public sealed class IsolatedScriptHostTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orchestrator-isolated-").FullName;

    public void Dispose() => Testing.TreeDeleter.Delete(_folder);

    [Fact]
    public async Task A_script_evaluates_apart_and_its_recipes_are_the_engines_own()
    {
        var script = RepositoryFiles.CopyExample("hello", _folder);

        var book = await IsolatedScriptHost.LoadAsync(new BuildSettings { ScriptPath = script, NoCache = true }, CancellationToken.None);

        // The object is the engine's RecipeBook of this (default) context, so it builds like any other.
        Assert.Same(typeof(RecipeBook).Assembly, book.GetType().BaseType!.Assembly);
        Assert.Equal(["busybox", "hello"], book.Build().Stages.Select(s => s.Name).Order());
        var isolated = IsolatedScriptHost.LoadContext.Assemblies.Select(a => a.GetName().Name).ToList();
        Assert.Contains("Orchestrator.Scripting", isolated);
        Assert.Contains("Microsoft.CodeAnalysis.CSharp", isolated);
        Assert.DoesNotContain("Orchestrator", isolated);
        Assert.NotSame(typeof(Orchestrator.Scripting.ScriptHost).Assembly, book.GetType().Assembly);
    }

    [Fact]
    public async Task A_compile_error_comes_back_as_an_orchestrator_error_with_the_line()
    {
        var script = Path.Combine(_folder, "build.csx");
        await File.WriteAllTextAsync(script, "var x = Image(\"x\")\n    .From(\"busybox\")\n    .Nope();\n");

        var error = await Assert.ThrowsAnyAsync<OrchestratorException>(() => IsolatedScriptHost.LoadAsync(new BuildSettings { ScriptPath = script, NoCache = true }, CancellationToken.None));

        Assert.Contains("build.csx(3,", error.Message);
        Assert.Contains("Nope", error.Message);
    }
}
