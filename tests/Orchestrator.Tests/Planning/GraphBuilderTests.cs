using Orchestrator.Planning;
using Orchestrator.Recipes;

namespace Orchestrator.Tests.Planning;

public sealed class GraphBuilderTests
{
    private static RecipeSet Shop()
    {
        var book = new RecipeBook("/tmp/shop");
        var baseOs = book.Stage("base").From("debian:bookworm-slim").Run("apt-get update");
        var unused = book.Stage("unused").From("busybox").Run("true");
        var tools = book.Stage("tools").From("golang:1.22").Run("go build ./...");
        book.Image("api").From(baseOs).CopyFrom(tools, "/go/bin/api", "/app/").Output("out/api");
        book.Image("web").From(baseOs).Run("echo web").Output("out/web");
        var worker = book.Stage("worker").From(baseOs);
        book.Target("backend", book.Image("jobs").From(worker).Output("out/jobs"));
        return book.Build();
    }

    [Fact]
    public void Default_builds_every_image_and_prunes_unused_stages()
    {
        var graph = GraphBuilder.Build(Shop(), []);
        Assert.Equal(["base", "tools", "api", "web", "worker", "jobs"], graph.Nodes.Select(n => n.Name));
        Assert.False(graph.Contains("unused"));
        Assert.Equal(["api", "web", "jobs"], graph.Targets);
    }

    [Fact]
    public void A_shared_stage_appears_once_with_every_dependent()
    {
        var graph = GraphBuilder.Build(Shop(), []);
        Assert.Single(graph.Nodes, n => n.Name == "base");
        Assert.Equal(["api", "web", "worker"], graph.Dependents("base").Select(n => n.Name));
    }

    [Fact]
    public void Dependencies_come_before_dependents()
    {
        var graph = GraphBuilder.Build(Shop(), []);
        var position = graph.Nodes.Select((n, i) => (n.Name, i)).ToDictionary(x => x.Name, x => x.i);
        foreach (var edge in graph.Edges) Assert.True(position[edge.From] < position[edge.To], $"{edge.From} before {edge.To}");
    }

    [Fact]
    public void Edges_carry_their_kind()
    {
        var graph = GraphBuilder.Build(Shop(), ["api"]);
        Assert.Contains(new GraphEdge("base", "api", EdgeKind.Base), graph.Edges);
        Assert.Contains(new GraphEdge("tools", "api", EdgeKind.Copy), graph.Edges);
        Assert.Equal(3, graph.Nodes.Count);
    }

    [Fact]
    public void A_named_target_group_builds_only_its_recipes()
    {
        var graph = GraphBuilder.Build(Shop(), ["backend"]);
        Assert.Equal(["base", "worker", "jobs"], graph.Nodes.Select(n => n.Name));
        Assert.True(graph["jobs"].IsRequested);
        Assert.False(graph["base"].IsRequested);
    }

    [Fact]
    public void A_stage_can_be_built_by_name()
    {
        var graph = GraphBuilder.Build(Shop(), ["unused"]);
        Assert.Equal(["unused"], graph.Nodes.Select(n => n.Name));
    }

    [Fact]
    public void Independent_stages_have_no_path_between_them()
    {
        var graph = GraphBuilder.Build(Shop(), []);
        Assert.False(graph.HasPath("tools", "web"));
        Assert.False(graph.HasPath("web", "api"));
        Assert.True(graph.HasPath("base", "jobs"));
    }

    [Fact]
    public void Unknown_target_lists_the_known_ones()
    {
        var error = Assert.Throws<OrchestratorException>(() => GraphBuilder.Build(Shop(), ["nope"]));
        Assert.Contains("unknown target 'nope'", error.Message);
        Assert.Contains("backend", error.Message);
        Assert.Contains("api", error.Message);
    }

    [Fact]
    public void No_images_and_no_target_says_what_to_do()
    {
        var book = new RecipeBook();
        book.Stage("only").From("busybox");
        var error = Assert.Throws<OrchestratorException>(() => GraphBuilder.Build(book.Build(), []));
        Assert.Contains("dotnet orchestrate build.csx only", error.Message);
    }

    [Fact]
    public void A_cycle_that_skipped_validation_is_still_caught()
    {
        var a = new StageRecipe("a", true, new ImageSource.Stage("b"), [], SourceLocation.Unknown);
        var b = new StageRecipe("b", false, new ImageSource.Stage("a"), [], SourceLocation.Unknown);
        var error = Assert.Throws<OrchestratorException>(() => GraphBuilder.Build(new RecipeSet([a, b], []), []));
        Assert.Contains("cycle", error.Message);
    }
}
