using System.Runtime.CompilerServices;
using Orchestrator.Recipes;

namespace Orchestrator.Tests.Recipes;

public sealed class RecipeValidationTests
{
    private static int NextLine([CallerLineNumber] int line = 0) => line + 1;

    private static readonly string ContextDir = Path.GetTempPath();

    private static RecipeError SingleError(RecipeBook book, bool push = true)
    {
        var error = Assert.Throws<RecipeException>(() => book.Build(new RecipeValidationOptions { Push = push }));
        return Assert.Single(error.Errors);
    }

    [Fact]
    public void Empty_run_points_at_the_call_line()
    {
        var book = new RecipeBook();
        var expected = NextLine();
        book.Image("x").From("busybox").Run("").Output("out/x");
        var error = SingleError(book);
        Assert.Equal(expected, error.Location.Line);
        Assert.EndsWith(nameof(RecipeValidationTests) + ".cs", error.Location.File);
        Assert.Contains("RUN needs a command", error.Message);
        Assert.Contains($"({expected},", error.ToString());
    }

    [Fact]
    public void Exec_form_run_with_no_arguments_is_an_error()
    {
        var book = new RecipeBook();
        book.Image("x").From("busybox").Run(Array.Empty<string>()).Output("out/x");
        Assert.Contains("RUN needs a command", SingleError(book).Message);
    }

    [Fact]
    public void Column_points_at_the_method()
    {
        var book = new RecipeBook();
        var expected = NextLine();
        book.Image("x").From("busybox").Run("  ").Output("out/x");
        var error = SingleError(book);
        var line = File.ReadLines(error.Location.File).ElementAt(expected - 1);
        Assert.Equal(line.IndexOf(".Run(", StringComparison.Ordinal) + 2, error.Location.ResolveColumn());
    }

    [Theory]
    [InlineData("../secret.txt")]
    [InlineData("src/../../etc/passwd")]
    public void Copy_source_outside_the_context(string source)
    {
        var book = new RecipeBook();
        book.Image("x").From("busybox").Context(ContextDir).Copy(source, "/app/").Output("out/x");
        var error = SingleError(book);
        Assert.Contains("outside the context", error.Message);
        Assert.Contains(source, error.Message);
    }

    [Theory]
    [InlineData("src/../app.js")]
    [InlineData("/app.js")]
    [InlineData("./a/b/../c")]
    public void Copy_sources_inside_the_context_are_fine(string source)
    {
        var book = new RecipeBook();
        book.Image("x").From("busybox").Context(ContextDir).Copy(source, "/app/").Output("out/x");
        Assert.Single(book.Build().Stages);
    }

    [Fact]
    public void Copy_without_context_says_how_to_set_one()
    {
        var book = new RecipeBook();
        book.Image("x").From("busybox").Copy("a", "/a").Output("out/x");
        Assert.Contains(".Context(", SingleError(book).Message);
    }

    [Fact]
    public void Unknown_stage_in_copy_from()
    {
        var book = new RecipeBook();
        var other = new RecipeBook().Stage("elsewhere").From("busybox");
        book.Image("x").From("busybox").CopyFrom(other, "/a", "/a").Output("out/x");
        Assert.Contains("unknown stage 'elsewhere'", SingleError(book).Message);
    }

    [Fact]
    public void Unknown_base_stage()
    {
        var book = new RecipeBook();
        var other = new RecipeBook().Stage("base").From("busybox");
        book.Image("x").From(other).Output("out/x");
        Assert.Contains("base stage 'base' is unknown", SingleError(book).Message);
    }

    [Fact]
    public void A_cycle_names_every_stage_on_it()
    {
        var book = new RecipeBook();
        var a = book.Stage("a").From("busybox");
        var b = book.Stage("b").From(a);
        var c = book.Stage("c").From(b);
        a.DependsOn(c);
        book.Image("img").From("busybox").CopyFrom(c, "/x", "/x").Output("out/i");
        var error = SingleError(book);
        Assert.Contains("cycle", error.Message);
        foreach (var name in new[] { "a", "b", "c" }) Assert.Contains($"{name} ->", error.Message + " ->");
    }

    [Fact]
    public void A_stage_copying_from_itself_is_a_cycle()
    {
        var book = new RecipeBook();
        var a = book.Image("a").From("busybox").Output("out/a");
        a.CopyFrom(a, "/x", "/y");
        Assert.Contains("a -> a", SingleError(book).Message);
    }

    [Theory]
    [InlineData("Debian:Bookworm")]
    [InlineData("debian:")]
    [InlineData("debian@sha256:123")]
    [InlineData("registry.example.com:port/x")]
    public void Invalid_base_reference(string reference)
    {
        var book = new RecipeBook();
        book.Image("x").From(reference).Output("out/x");
        var error = SingleError(book);
        Assert.Contains($"'{reference}'", error.Message);
        Assert.Contains("base image", error.Message);
    }

    [Fact]
    public void Invalid_destination_points_at_the_destination_call()
    {
        var book = new RecipeBook();
        var image = book.Image("x").From("busybox");
        var expected = NextLine();
        image.Destination("localhost:5000/UPPER:tag");
        var error = SingleError(book);
        Assert.Equal(expected, error.Location.Line);
        Assert.Contains("must be lowercase", error.Message);
    }

    [Fact]
    public void Two_images_with_one_destination()
    {
        var book = new RecipeBook();
        book.Image("a").From("busybox").Destination("localhost:5000/app:1");
        book.Image("b").From("busybox").Destination("localhost:5000/app:1");
        var error = SingleError(book);
        Assert.Contains("images 'a' and 'b' both push to 'localhost:5000/app:1'", error.Message);
    }

    [Fact]
    public void Destinations_that_normalise_to_the_same_reference_collide()
    {
        var book = new RecipeBook();
        book.Image("a").From("busybox").Destination("myapp");
        book.Image("b").From("busybox").Destination("docker.io/library/myapp:latest");
        Assert.Contains("docker.io/library/myapp:latest", SingleError(book).Message);
    }

    [Fact]
    public void Missing_destination_for_a_push()
    {
        var book = new RecipeBook();
        book.Image("lonely").From("busybox");
        var error = SingleError(book);
        Assert.Contains("image 'lonely' has no destination", error.Message);
        Assert.Contains("--no-push", error.Message);
        Assert.Single(book.Build(new RecipeValidationOptions { Push = false }).Stages);
    }

    [Fact]
    public void Destination_on_a_stage_is_an_error()
    {
        var book = new RecipeBook();
        book.Stage("s").From("busybox").Destination("localhost:5000/s:1");
        Assert.Contains("is not an image", SingleError(book, push: false).Message);
    }

    [Fact]
    public void Missing_base()
    {
        var book = new RecipeBook();
        book.Image("x").Run("true").Output("out/x");
        Assert.Contains("has no base", SingleError(book).Message);
    }

    [Fact]
    public void Duplicate_names()
    {
        var book = new RecipeBook();
        book.Stage("dup").From("busybox");
        book.Stage("dup").From("busybox");
        Assert.Contains("declared twice", SingleError(book).Message);
    }

    [Fact]
    public void Invalid_stage_name()
    {
        var book = new RecipeBook();
        book.Stage("Has Space").From("busybox");
        Assert.Contains("not a valid stage name", SingleError(book).Message);
    }

    [Fact]
    public void Cache_repo_must_be_a_repository()
    {
        var book = new RecipeBook();
        book.Image("x").From("busybox").CacheRepo("localhost:5000/cache:tag").Output("out/x");
        Assert.Contains("without tag or digest", SingleError(book).Message);
    }

    [Fact]
    public void Unknown_stage_in_a_target()
    {
        var book = new RecipeBook();
        var a = book.Image("a").From("busybox").Output("out/a");
        var ghost = new RecipeBook().Image("ghost").From("busybox");
        book.Target("all", a, ghost);
        Assert.Contains("target 'all' names unknown stage 'ghost'", SingleError(book).Message);
    }

    [Fact]
    public void Every_error_is_reported_at_once()
    {
        var book = new RecipeBook();
        book.Image("x").From("busybox").Run("").Run("").Output("out/x");
        book.Image("y").From("NOPE");
        var error = Assert.Throws<RecipeException>(() => book.Build());
        Assert.Equal(4, error.Errors.Count);
        Assert.Equal(4, error.Message.Split(Environment.NewLine).Length);
    }

    [Fact]
    public void Arg_prefers_build_arg_then_environment_then_default()
    {
        var env = new Dictionary<string, string?> { ["B"] = "from-env", ["A"] = "env-a" };
        var book = new RecipeBook(buildArgs: new Dictionary<string, string> { ["A"] = "from-cli" }, environment: n => env.GetValueOrDefault(n));
        Assert.Equal("from-cli", book.Arg("A", "default"));
        Assert.Equal("from-env", book.Arg("B", "default"));
        Assert.Equal("default", book.Arg("C", "default"));
        var error = Assert.Throws<RecipeException>(() => book.Arg("D"));
        Assert.Contains("--build-arg D=VALUE", error.Message);
    }

    [Fact]
    public void Build_arg_instruction_takes_the_given_value()
    {
        var book = new RecipeBook(buildArgs: new Dictionary<string, string> { ["VERSION"] = "2.0" });
        book.Image("x").From("busybox").BuildArg("VERSION", "1.0").BuildArg("OTHER", "o").Output("out/x");
        var args = book.Build().Stages[0].Instructions.OfType<ArgInstruction>().ToList();
        Assert.Equal(("VERSION", "2.0"), (args[0].Name, args[0].Value));
        Assert.Equal(("OTHER", "o"), (args[1].Name, args[1].Value));
    }

    [Fact]
    public void Relative_paths_resolve_against_the_book_folder()
    {
        var root = Path.Combine(Path.GetTempPath(), "orchestrator-book");
        var book = new RecipeBook(root);
        book.Image("x").From("busybox").Context("services/api").Output("out/x");
        var stage = book.Build().Stages[0];
        Assert.Equal(Path.Combine(root, "services", "api"), stage.Context);
        Assert.Equal(Path.Combine(root, "out", "x"), stage.Outputs[0]);
    }

    [Fact]
    public void Recipes_compare_by_value()
    {
        RecipeSet Make()
        {
            var book = new RecipeBook("/tmp/same");
            book.Image("x").From("busybox").Run("echo hi", o => o.Network(false).Secret("npm")).Output("out/x");
            return book.Build();
        }
        Assert.Equal(Make().Stages[0].Instructions[0] with { Location = SourceLocation.Unknown }, Make().Stages[0].Instructions[0] with { Location = SourceLocation.Unknown });
    }
}
