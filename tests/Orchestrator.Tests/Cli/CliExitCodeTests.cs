using System.Text.Json;
using Orchestrator.Cli;
using Orchestrator.Planning;
using Orchestrator.Recipes;

namespace Orchestrator.Tests.Cli;

/// <summary>Exit codes and error output of the CLI, with recipes given in code and executors that succeed or fail for real.</summary>
public sealed class CliExitCodeTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orchestrator-cli-").FullName;
    private readonly StringWriter _out = new();
    private readonly StringWriter _err = new();

    public CliExitCodeTests() => File.WriteAllText(Path.Combine(_folder, "build.csx"), "// recipes come from the test's loader\n");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Script => Path.Combine(_folder, "build.csx");

    private Task<int> Run(Action<RecipeBook> recipes, IStageExecutor? executor, params string[] args) =>
        CliApp.RunAsync(args, _out, _err,
            (settings, _) =>
            {
                var book = new RecipeBook(Path.GetDirectoryName(Path.GetFullPath(settings.ScriptPath)), settings.BuildArgs);
                recipes(book);
                return Task.FromResult(book);
            },
            _ => executor ?? throw new OrchestratorException("no backend in this test"));

    private static void TwoStages(RecipeBook book)
    {
        var a = book.Stage("a").From("busybox").Run("echo a");
        var b = book.Stage("b").From("busybox").Run("echo b");
        book.Image("final").From("busybox").CopyFrom(a, "/a", "/a").CopyFrom(b, "/b", "/b").Output("out/final");
    }

    [Theory]
    [InlineData("--jobs", "0")]
    [InlineData("--plan-format", "xml")]
    [InlineData("--build-arg", "NOEQUALS")]
    [InlineData("--backend", "docker")]
    [InlineData("--no-such-option")]
    public async Task Bad_usage_exits_2(params string[] args)
    {
        Assert.Equal(ExitCodes.UsageError, await Run(TwoStages, null, [Script, .. args]));
        Assert.Contains("error:", _err.ToString());
    }

    [Fact]
    public async Task Invalid_recipe_exits_2_with_the_location()
    {
        var code = await Run(book => book.Image("x").From("busybox").Run("").Output("out/x"), null, Script, "--plan");
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Matches(@"CliExitCodeTests\.cs\(\d+,\d+\): error: image 'x': RUN needs a command", _err.ToString());
    }

    [Fact]
    public async Task Unknown_target_exits_2()
    {
        Assert.Equal(ExitCodes.UsageError, await Run(TwoStages, null, Script, "ghost", "--plan"));
        Assert.Contains("unknown target 'ghost'", _err.ToString());
    }

    [Fact]
    public async Task Plan_json_lists_nodes_and_edges()
    {
        Assert.Equal(ExitCodes.Ok, await Run(TwoStages, null, Script, "--plan", "--plan-format", "json"));
        using var plan = JsonDocument.Parse(_out.ToString());
        var nodes = plan.RootElement.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("name").GetString()).ToList();
        Assert.Equal(["a", "b", "final"], nodes);
        var edges = plan.RootElement.GetProperty("edges").EnumerateArray().Select(e => (e.GetProperty("from").GetString(), e.GetProperty("to").GetString())).ToList();
        Assert.Equal([("a", "final"), ("b", "final")], edges);
    }

    [Fact]
    public async Task The_build_word_is_optional()
    {
        Assert.Equal(ExitCodes.Ok, await Run(TwoStages, null, "build", Script, "--plan", "--plan-format", "dot"));
        Assert.Contains("\"a\" -> \"final\"", _out.ToString());
    }

    [Fact]
    public async Task Build_args_reach_the_recipes()
    {
        var code = await Run(book => book.Image("x").From(book.Arg("BASE")).Output("out/x"), null, Script, "--build-arg", "BASE=alpine:3.20", "--plan");
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("FROM alpine:3.20", _out.ToString());
    }

    [Fact]
    public async Task No_push_allows_images_without_destination()
    {
        Assert.Equal(ExitCodes.UsageError, await Run(b => b.Image("x").From("busybox"), null, Script, "--plan"));
        Assert.Equal(ExitCodes.Ok, await Run(b => b.Image("x").From("busybox"), null, Script, "--plan", "--no-push"));
    }

    [Fact]
    public async Task A_failing_node_exits_1_with_its_error()
    {
        var executor = new SelectiveExecutor("b");
        var code = await Run(TwoStages, executor, Script, "--progress", "plain");
        Assert.Equal(ExitCodes.BuildFailed, code);
        Assert.Contains("b: step failed on purpose", _err.ToString());
        Assert.Contains("[b] FAILED", _out.ToString());
    }

    [Fact]
    public async Task A_successful_build_exits_0_and_says_where_the_image_went()
    {
        var code = await Run(TwoStages, new SelectiveExecutor(null), Script, "--progress", "json");
        Assert.Equal(ExitCodes.Ok, code);
        var events = _out.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(3, events.Count(e => e.GetProperty("event").GetString() == "completed"));
    }

    [Fact]
    public async Task Output_option_adds_a_layout_to_the_requested_image()
    {
        var code = await Run(TwoStages, null, Script, "--plan", "--plan-format", "json", "--output", Path.Combine(_folder, "img"));
        Assert.Equal(ExitCodes.Ok, code);
        using var plan = JsonDocument.Parse(_out.ToString());
        var final = plan.RootElement.GetProperty("nodes").EnumerateArray().Single(n => n.GetProperty("name").GetString() == "final");
        Assert.Contains(Path.Combine(_folder, "img"), final.GetProperty("outputs").EnumerateArray().Select(o => o.GetString()));
    }

    /// <summary>Completes every node except <paramref name="failing"/>, which throws like a failing RUN.</summary>
    private sealed class SelectiveExecutor(string? failing) : IStageExecutor
    {
        public Task<StageResult> ExecuteAsync(StageJob job, CancellationToken cancellationToken) =>
            job.Node.Name == failing
                ? Task.FromException<StageResult>(new OrchestratorException("step failed on purpose"))
                : Task.FromResult(new StageResult(job.Node.Name) { Published = [$"out/{job.Node.Name}"] });
    }
}
