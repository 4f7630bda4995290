using Orchestrator.Dockerfiles;
using Orchestrator.Execution;
using Orchestrator.Oci.Documents;
using Orchestrator.Recipes;

namespace Orchestrator.Tests.Dockerfiles;

/// <summary>RUN bind, tmpfs and ssh mounts and ONBUILD: parsed, written back, built from the recipe DSL, validated.</summary>
public class RunMountTests
{
    private static RunOptions Options(string dockerfile, int stage = -1, int instruction = -1)
    {
        var document = DockerfileParser.Parse(dockerfile, "Dockerfile", new Dictionary<string, string>());
        var stages = document.Stages;
        var run = stages[stage < 0 ? stages.Count + stage : stage].Instructions;
        return Assert.IsType<RunInstruction>(run[instruction < 0 ? run.Count + instruction : instruction]).Options;
    }

    [Fact]
    public void Bind_mounts_read_source_target_from_and_rw_with_bind_as_the_default_type()
    {
        var options = Options("""
            FROM busybox AS tools
            FROM busybox
            ARG SRC=go.sum
            RUN --mount=type=bind,source=$SRC,target=go.sum --mount=target=. --mount=type=bind,from=tools,src=/bin,dst=/t,rw --mount=type=bind,from=0,target=/z,ro --mount=type=bind,from=alpine:3.19,target=/a go build
            """);
        Assert.Equal(
            [
                new BindMount("go.sum", "go.sum"),
                new BindMount("."),
                new BindMount("/t", "/bin", new ImageSource.Stage("tools"), ReadWrite: true),
                new BindMount("/z", null, new ImageSource.Stage("tools")),
                new BindMount("/a", null, new ImageSource.Registry("alpine:3.19")),
            ],
            options.Binds);
    }

    [Fact]
    public void Tmpfs_sizes_are_bytes_and_ssh_mounts_default_to_the_default_agent()
    {
        var options = Options("FROM busybox\nRUN --mount=type=tmpfs,target=/tmp --mount=type=tmpfs,target=/big,size=64m --mount=type=ssh --mount=type=ssh,id=gh,target=/gh.sock,required true\n");
        Assert.Equal([new TmpfsMount("/tmp"), new TmpfsMount("/big", 64L << 20)], options.TmpfsMounts);
        Assert.Equal([new SshMount(), new SshMount("gh", "/gh.sock", true)], options.SshMounts);
        Assert.Equal("/run/buildkit/ssh_agent.0", options.SshTarget(0));
        Assert.Equal("/gh.sock", options.SshTarget(1));
    }

    [Fact]
    public void A_recipe_with_mounts_renders_to_a_dockerfile_that_imports_to_the_same_recipe()
    {
        var book = new RecipeBook(Path.GetTempPath());
        var tools = book.Stage("tools").From("busybox:1.36").Run("mkdir /opt/t");
        var app = book.Image("app").From("debian:bookworm-slim").Context(".")
            .Run("go build", o => o.Bind("go.sum", "go.sum").Bind(".", ".", readWrite: true).Bind("/opt/t", "/mnt/t", tools).Bind("/bin", "/mnt/bb", "busybox:1.36")
                .Tmpfs("/tmp/x", 1 << 20).Ssh().Ssh("github", "/run/gh.sock", required: true).CacheMount("/root/.cache"))
            .OnBuild("COPY . /app/src");
        var set = book.Build(new RecipeValidationOptions { Push = false });
        var stages = set.Stages.ToList();

        var text = DockerfileRenderer.Render(stages);
        Assert.Contains("--mount=type=bind,target=/mnt/t,source=/opt/t,from=tools ", text);
        Assert.Contains("--mount=type=bind,target=.,source=.,rw ", text);
        Assert.Contains("--mount=type=tmpfs,target=/tmp/x,size=1048576 ", text);
        Assert.Contains("--mount=type=ssh,id=github,target=/run/gh.sock,required ", text);
        var reparsed = DockerfileParser.Parse(text, "Dockerfile", new Dictionary<string, string>()).Stages;
        for (var i = 0; i < stages.Count; i++)
            Assert.Equal(stages[i].Instructions.Select(WithoutLocation), reparsed[i].Instructions.Select(WithoutLocation));
    }

    [Fact]
    public void A_mount_path_with_a_comma_cannot_be_rendered_and_says_so()
    {
        var stage = new StageRecipe("app", true, new ImageSource.Registry("busybox"), [new RunInstruction(Command.Shell("ls"), RunOptions.Default with { Binds = [new BindMount("/a,b")] })], SourceLocation.Unknown);
        var error = Assert.Throws<OrchestratorException>(() => DockerfileRenderer.Render(stage));
        Assert.Contains("'/a,b' holds a comma", error.Message);
    }

    [Fact]
    public void A_bind_from_a_stage_makes_the_stage_a_dependency()
    {
        var stages = DockerfileParser.Parse("FROM busybox AS tools\nFROM busybox\nRUN --mount=from=tools,target=/t ls /t\n", "Dockerfile", new Dictionary<string, string>()).Stages;
        Assert.Equal(["tools"], stages[1].StageDependencies());
        var graph = Orchestrator.Planning.GraphBuilder.Build(new RecipeSet([stages[0], stages[1] with { IsImage = true }], []), []);
        Assert.Contains(graph.Edges, e => e.From == "tools" && e.To == "1");
    }

    [Theory]
    [InlineData("FROM busybox\nRUN --mount=type=bind,source=../secret,target=/s cat /s\n", "outside the context")]
    [InlineData("FROM busybox\nRUN --mount=type=bind,target=/a --mount=type=tmpfs,target=/a/ ls\n", "mounts two things at '/a/'")]
    public void Bad_mounts_are_reported_at_their_line(string dockerfile, string message)
    {
        var stage = DockerfileParser.Parse(dockerfile, "Dockerfile", new Dictionary<string, string>()).Stages[0] with { IsImage = true, Context = Path.GetTempPath() };
        var errors = RecipeValidator.Validate(new RecipeSet([stage], []), new RecipeValidationOptions { Push = false });
        var error = Assert.Single(errors);
        Assert.Equal(2, error.Location.Line);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void OnBuild_in_a_recipe_refuses_what_docker_refuses()
    {
        var book = new RecipeBook(Path.GetTempPath());
        book.Image("app").From("busybox").OnBuild("FROM alpine").OnBuild("FETCH x");
        var errors = Assert.Throws<RecipeException>(() => book.Build()).Errors;
        Assert.Contains(errors, e => e.Message.Contains("ONBUILD cannot trigger FROM"));
        Assert.Contains(errors, e => e.Message.Contains("ONBUILD triggers unknown instruction 'FETCH'"));
    }

    [Fact]
    public void Onbuild_triggers_become_the_first_steps_expanded_with_the_base_env_and_the_config_loses_them()
    {
        var child = new StageRecipe("app", true, new ImageSource.Registry("base:1"), [new RunInstruction(Command.Shell("make"), RunOptions.Default)], new SourceLocation("Dockerfile", 3, "FROM"));
        var config = new ImageConfig { Config = new ContainerConfig { Env = ["APP=/srv/app"], OnBuild = ["COPY . $APP/", "RUN --mount=type=tmpfs,target=/tmp echo built"] } };

        var (stage, cleared) = OnbuildTriggers.Apply(child, config);

        Assert.Null(cleared.Config!.OnBuild);
        Assert.Equal(3, stage.Instructions.Count);
        Assert.Equal(new CopyInstruction(["."], "/srv/app/"), WithoutLocation(stage.Instructions[0]));
        Assert.Equal([new TmpfsMount("/tmp")], Assert.IsType<RunInstruction>(stage.Instructions[1]).Options.TmpfsMounts);
        Assert.Equal(3, stage.Instructions[0].Location.Line);
        Assert.Same(child, OnbuildTriggers.Apply(child, new ImageConfig { Config = new ContainerConfig() }).Stage);
        var refused = Assert.Throws<OrchestratorException>(() => OnbuildTriggers.Apply(child, config with { Config = new ContainerConfig { OnBuild = ["FROM alpine"] } }));
        Assert.Contains("ONBUILD cannot trigger FROM", refused.Message);
        Assert.Contains("Dockerfile:3", refused.Message.Replace("(", ":").Replace(",", ":"));
    }

    private static Instruction WithoutLocation(Instruction instruction) => instruction with { Location = SourceLocation.Unknown };
}
