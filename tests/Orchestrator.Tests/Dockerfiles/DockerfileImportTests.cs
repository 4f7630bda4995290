using Orchestrator.Dockerfiles;
using Orchestrator.Recipes;

namespace Orchestrator.Tests.Dockerfiles;

/// <summary><c>RecipeBook.Dockerfile(...)</c>: a parsed Dockerfile becomes an image plus renamed stages.</summary>
public sealed class DockerfileImportTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("orchestrator-import-");

    public void Dispose() => _root.Delete(recursive: true);

    private string Write(string folder, string fileName)
    {
        var directory = Directory.CreateDirectory(Path.Combine(_root.FullName, folder));
        File.Copy(DockerfileCases.PathOf(fileName), Path.Combine(directory.FullName, "Dockerfile"));
        return Path.Combine(folder, "Dockerfile");
    }

    [Fact]
    public void A_multi_stage_dockerfile_becomes_an_image_and_stages_named_after_it()
    {
        var path = Write("shop", "stage-chain.Dockerfile");
        var book = new RecipeBook(_root.FullName);
        var image = book.Dockerfile(path);
        var set = book.Build(new RecipeValidationOptions { Push = false });

        Assert.Equal("shop", image.Name);
        Assert.Equal(["shop/base", "shop/deps", "shop/test", "shop"], set.Stages.Select(s => s.Name));
        Assert.Equal([false, false, false, true], set.Stages.Select(s => s.IsImage));
        Assert.Equal(new ImageSource.Stage("shop/base"), set.Get("shop/deps").Base);
        Assert.Equal(new ImageSource.Stage("shop/deps"), set.Get("shop").Base);
        Assert.Equal(new ImageSource.Stage("shop/test"), set.Get("shop").Instructions.OfType<CopyInstruction>().Single().From);
        Assert.All(set.Stages, s => Assert.Equal(Path.Combine(_root.FullName, "shop"), s.Context));
        Assert.Equal(["shop/deps", "shop/test"], set.Get("shop").StageDependencies().Order());
        var copy = set.Get("shop/deps").Instructions.OfType<CopyInstruction>().Single();
        Assert.EndsWith(Path.Combine("shop", "Dockerfile"), copy.Location.File);
        Assert.Equal(7, copy.Location.Line);
    }

    [Fact]
    public void A_target_stage_becomes_the_image_and_unnamed_stages_keep_their_index()
    {
        var path = Write("numbers", "unnamed-stages.Dockerfile");
        var book = new RecipeBook(_root.FullName);
        var image = book.Dockerfile(path, name: "all");
        var set = book.Build(new RecipeValidationOptions { Push = false });

        Assert.Equal("all", image.Name);
        Assert.Equal(["all/0", "all/1", "all"], set.Stages.Select(s => s.Name));
        Assert.Equal([new ImageSource.Stage("all/0"), new ImageSource.Stage("all/1")],
            set.Get("all").Instructions.OfType<CopyInstruction>().Select(c => c.From));
    }

    /// <summary>BuildKit reads <c>&lt;Dockerfile&gt;.dockerignore</c> beside the Dockerfile instead of the context's <c>.dockerignore</c>.</summary>
    [Fact]
    public void A_dockerfiles_own_ignore_file_replaces_the_contexts()
    {
        var path = Write("numbers", "unnamed-stages.Dockerfile");
        var book = new RecipeBook(_root.FullName);
        book.Dockerfile(path, name: "plain");
        Assert.All(book.Build(new RecipeValidationOptions { Push = false }).Stages, s => Assert.Null(s.IgnoreFile));

        var own = Path.Combine(_root.FullName, "numbers", "Dockerfile.dockerignore");
        File.WriteAllText(own, "*.log\n!keep.log\n");
        File.WriteAllText(Path.Combine(_root.FullName, "numbers", ".dockerignore"), "*\n");
        var withOwn = new RecipeBook(_root.FullName);
        withOwn.Dockerfile(path, name: "own");
        var stages = withOwn.Build(new RecipeValidationOptions { Push = false }).Stages;

        Assert.All(stages, s => Assert.Equal(own, s.IgnoreFile));
        var matcher = DockerignoreMatcher.Load(Path.Combine(_root.FullName, "numbers"), stages[0].IgnoreFile);
        Assert.True(matcher.IsExcluded("debug.log"));
        Assert.False(matcher.IsExcluded("keep.log"));
        Assert.False(matcher.IsExcluded("app.txt")); // the context's "*" does not apply
    }

    /// <summary>As in BuildKit, stages the target does not reach are not taken (nor checked): stage 2 reads stage 1, not the reverse.</summary>
    [Fact]
    public void A_target_takes_only_the_stages_it_needs()
    {
        var path = Write("numbers", "unnamed-stages.Dockerfile");
        var book = new RecipeBook(_root.FullName);
        var image = book.Dockerfile(path, target: "1", name: "second");
        var set = book.Build(new RecipeValidationOptions { Push = false });

        Assert.Equal("second", image.Name);
        Assert.Equal(["second"], set.Stages.Select(s => s.Name));
    }

    [Fact]
    public void Build_args_reach_the_imported_stages_and_the_import_renders_back()
    {
        var path = Write("dotnet", "dotnet-sdk-aspnet.Dockerfile");
        var book = new RecipeBook(_root.FullName, new Dictionary<string, string> { ["DOTNET_VERSION"] = "9.0", ["CONFIGURATION"] = "Debug" });
        book.Dockerfile(path);
        var set = book.Build(new RecipeValidationOptions { Push = false });

        Assert.Equal(new ImageSource.Registry("mcr.microsoft.com/dotnet/aspnet:9.0"), set.Get("dotnet").Base);
        Assert.Equal("Debug", set.Get("dotnet/build").Instructions.OfType<ArgInstruction>().Single().Value);

        var text = DockerfileRenderer.Render(set.Stages);
        Assert.Contains("FROM mcr.microsoft.com/dotnet/sdk:9.0 AS dotnet-build\n", text);
        Assert.Contains("COPY --from=dotnet-build /app/publish .\n", text);
        Assert.Equal(["dotnet-build", "dotnet"], DockerfileCases.ParseText(text).Stages.Select(s => s.Name));
    }
}
