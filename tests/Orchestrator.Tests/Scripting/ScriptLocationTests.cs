using Orchestrator.Recipes;
using Orchestrator.Scripting;

namespace Orchestrator.Tests.Scripting;

/// <summary>
/// Recipe errors must point into the user's .csx — through caller-info parameters and, for
/// <c>params</c> methods, through stack frames of the compiled script — on a fresh compile and when
/// the script comes from the cache.
/// </summary>
[Collection(ScriptingCollection.Name)]
public sealed class ScriptLocationTests : IDisposable
{
    private readonly ScriptFolder _folder = new();
    private readonly ScriptHost _host = new();

    public void Dispose() => _folder.Dispose();

    private async Task<(RecipeException Fresh, RecipeException Cached)> BuildTwiceAsync(string script)
    {
        var options = new ScriptHostOptions { CacheDirectory = _folder.CacheDirectory };
        var fresh = await _host.EvaluateAsync(script, options, CancellationToken.None);
        var cached = await _host.EvaluateAsync(script, options, CancellationToken.None);
        Assert.False(fresh.FromCache);
        Assert.True(cached.FromCache);
        return (Assert.Throws<RecipeException>(() => fresh.Globals.Build()), Assert.Throws<RecipeException>(() => cached.Globals.Build()));
    }

    [Fact]
    public async Task Caller_info_locations_point_at_the_script_line()
    {
        var script = _folder.Write("build.csx", """
            // an image with an empty RUN
            var registry = "registry.example.com";
            Image("x").From("busybox").Run("").Destination($"{registry}/x:1");
            """);

        var (fresh, cached) = await BuildTwiceAsync(script);

        foreach (var error in new[] { fresh, cached })
        {
            var location = Assert.Single(error.Errors).Location;
            Assert.Equal((script, 3), (location.File, location.Line));
            Assert.StartsWith($"{script}(3,28): error: ", error.Message);
        }
    }

    [Fact]
    public async Task Params_methods_get_the_script_line_from_the_stack()
    {
        var script = _folder.Write("build.csx", """
            var registry = "registry.example.com";

            // the stack of the compiled script carries this line
            Image("x").From("busybox").Destination("Not A Valid Reference!", $"{registry}/x:1");
            """);

        var (fresh, cached) = await BuildTwiceAsync(script);

        foreach (var error in new[] { fresh, cached })
        {
            var location = Assert.Single(error.Errors).Location;
            Assert.Equal((script, 4), (location.File, location.Line));
            Assert.StartsWith($"{script}(4,28): error: ", error.Message);
        }
    }

    [Fact]
    public async Task Params_methods_in_a_multi_line_chain_get_their_own_line()
    {
        var script = _folder.Write("build.csx", """
            #load "lib.csx"
            Image("x")
                .From("busybox")
                .Expose("80")
                .Cmd("")
                .Output("out/x");
            Broken();
            """);
        _folder.Write("lib.csx", """
            void Broken() =>
                Image("y")
                    .From("busybox")
                    .Entrypoint("")
                    .Output("out/y");
            """);

        var (fresh, cached) = await BuildTwiceAsync(script);

        foreach (var error in new[] { fresh, cached })
        {
            Assert.Equal(2, error.Errors.Count);
            Assert.Equal((script, 5), (error.Errors[0].Location.File, error.Errors[0].Location.Line));
            Assert.Contains("CMD needs a command", error.Errors[0].Message);
            Assert.EndsWith("lib.csx", error.Errors[1].Location.File);
            Assert.Equal(4, error.Errors[1].Location.Line);
            Assert.Contains("ENTRYPOINT needs a command", error.Errors[1].Message);
            Assert.Equal((script, 7, 1), (error.Errors[1].Location.Caller?.File, error.Errors[1].Location.Caller?.Line, error.Errors[1].Location.Caller?.Column));
        }
    }

    [Fact]
    public async Task Locations_inside_loaded_files_name_those_files()
    {
        var script = _folder.Write("build.csx", """
            #load "recipes/push.csx"
            var a = Image("a").From("busybox");
            var b = Image("b").From("busybox");
            Push(a, "registry.example.com/shared:1");
            Push(b, "registry.example.com/shared:1");
            """);
        var library = _folder.Write("recipes/push.csx", """
            // pushes an image
            RecipeBuilder Push(RecipeBuilder image, string reference) =>
                image.Destination(reference);
            """);

        var (fresh, cached) = await BuildTwiceAsync(script);

        foreach (var error in new[] { fresh, cached })
        {
            var location = Assert.Single(error.Errors).Location;
            Assert.Equal((library, 3), (location.File, location.Line));
            Assert.Contains("both push to", error.Message);
            // The second call of the recipe is the one that collides: the error names it.
            Assert.Equal((script, 5, 1), (location.Caller?.File, location.Caller?.Line, location.Caller?.Column));
            Assert.EndsWith($"(called from {script}(5,1))", error.Message);
            Assert.Contains($"(called from {script}(4,1))); give each image its own destination", error.Message);
        }
    }

    [Fact]
    public async Task Errors_inside_loaded_recipes_name_the_root_script_call_that_led_there()
    {
        var script = _folder.Write("build.csx", """
            #load "recipes/apps.csx"
            var baseOs = Image("base").From("busybox").Output("out/base");
            App("good", "echo ok").Output("out/good");
            var broken = App("broken",
                "").Output("out/broken");
                   AppRecipes.App(Book, "static", "").Output("out/static");
            Sidecar(App("outer", "echo ok").Output("out/outer"));
            if (baseOs is not null) AppRecipes.Log(Book, "logs");
            """);
        var library = _folder.Write("recipes/apps.csx", """
            using Orchestrator.Recipes;
            public static class AppRecipes
            {
                public static RecipeBuilder App(RecipeBook book, string name, string command) =>
                    book.Image(name).From("busybox").Run(command);
                public static void Log(RecipeBook book, string name) =>
                    book.Image(name).From("busybox").Run("").Output("out/" + name);
            }
            RecipeBuilder App(string name, string command) => AppRecipes.App(Book, name, command);
            void Sidecar(RecipeBuilder app) => Image(app.Name + "-sidecar").Output("out/sidecar");
            """);

        var (fresh, cached) = await BuildTwiceAsync(script);

        foreach (var error in new[] { fresh, cached })
        {
            var where = error.Errors.ToDictionary(e => e.Message.Split(':')[0], e => e.Location);
            // A recipe called through the short form, the static class, a method without result, and around a
            // nested call: each error inside the library names the root script's call that led there.
            Assert.Equal((library, 5, 4, 14), At(where["image 'broken'"]));
            Assert.Equal((library, 5, 6, 19), At(where["image 'static'"]));
            Assert.Equal((library, 10, 7, 1), At(where["image 'outer-sidecar' has no base"]));
            Assert.Equal((library, 7, 8, 36), At(where["image 'logs'"]));
            // Errors of calls the root script makes itself name no caller, also when they are a recipe's argument.
            Assert.Equal(4, error.Errors.Count);
            Assert.Contains(error.Message.Split(Environment.NewLine), l => l.StartsWith($"{library}(5,", StringComparison.Ordinal) && l.EndsWith($"(called from {script}(4,14))", StringComparison.Ordinal));
        }

        static (string, int, int, int) At(SourceLocation location) =>
            (location.File, location.Line, location.Caller?.Line ?? 0, location.Caller?.Column ?? 0);
    }

    [Fact]
    public async Task A_caller_is_named_only_inside_the_call()
    {
        var script = _folder.Write("build.csx", """
            #load "recipes/lib.csx"
            var first = Named("first");
            Image("later").From("busybox").Run("").Output("out/later");
            """);
        _folder.Write("recipes/lib.csx", """
            RecipeBuilder Named(string name) => Image(name).From("busybox").Output("out/" + name);
            """);

        var (fresh, cached) = await BuildTwiceAsync(script);

        foreach (var error in new[] { fresh, cached })
        {
            var location = Assert.Single(error.Errors).Location;
            Assert.Equal((script, 3), (location.File, location.Line));
            Assert.Null(location.Caller);
            Assert.DoesNotContain("called from", error.Message);
        }
    }

    [Fact]
    public async Task Target_locations_point_at_the_script_line()
    {
        var script = _folder.Write("build.csx", """
            var api = Image("api").From("busybox").Destination("registry.example.com/api:1");
            var tools = Stage("tools").From("busybox");
            Target("api", api, tools);
            """);

        var (fresh, cached) = await BuildTwiceAsync(script);

        foreach (var error in new[] { fresh, cached })
        {
            var location = Assert.Single(error.Errors).Location;
            Assert.Equal((script, 3), (location.File, location.Line));
        }
    }
}
