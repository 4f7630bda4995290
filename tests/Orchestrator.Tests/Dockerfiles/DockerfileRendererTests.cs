using Orchestrator.Dockerfiles;
using Orchestrator.Recipes;
using static Orchestrator.Tests.Dockerfiles.DockerfileCases;

namespace Orchestrator.Tests.Dockerfiles;

public class DockerfileRendererTests
{
    private const string PinnedBuild = "registry.local/cache@sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d";

    private static RecipeSet WebRecipes()
    {
        var book = new RecipeBook(Path.GetTempPath());
        var build = book.Stage("web/build").From("node:20")
            .Workdir("/src")
            .Env("GREETING", "say \"hi\" for $5 \\o/")
            .Run("npm ci && npm run build", o => o.Secret("npmrc", "/root/.npmrc", required: true).CacheMount("/root/.npm", sharing: "locked").CacheMount("/home/node/.cache", uid: 1000, gid: 1000, mode: "0700").Network(false))
            .Run("set -e\nnpm test\ncat <<EOF\nhi\nEOF\n");
        book.Image("web").From("nginx:1.27").Context(".")
            .CopyFrom(build, "/src/dist", "/usr/share/nginx/html/", chown: "101:101")
            .Copy("my site.conf", "/etc/nginx/conf.d/default.conf", chmod: "0644")
            .Label("org.opencontainers.image.description", "it's \"quoted\" and $dollared")
            .User("nginx")
            .Expose("80")
            .Cmd("nginx", "-g", "daemon off;")
            .Healthcheck(["curl", "-f", "http://localhost/"], interval: TimeSpan.FromSeconds(90), retries: 2)
            .Output("out/web");
        return book.Build(new RecipeValidationOptions { Push = false });
    }

    [Fact]
    public void A_recipe_set_renders_as_a_multi_stage_dockerfile_that_parses_back_to_the_same_steps()
    {
        var set = WebRecipes();
        var text = DockerfileRenderer.Render(set.Stages);

        Assert.StartsWith("FROM node:20 AS web-build\n", text);
        Assert.Contains("\nFROM nginx:1.27 AS web\n", text);
        Assert.Contains("COPY --from=web-build --chown=101:101 /src/dist /usr/share/nginx/html/\n", text);
        Assert.Contains("RUN --network=none --mount=type=secret,id=npmrc,target=/root/.npmrc,required --mount=type=cache,target=/root/.npm,sharing=locked --mount=type=cache,target=/home/node/.cache,uid=1000,gid=1000,mode=0700 npm ci && npm run build\n", text);
        Assert.Contains("CMD [\"nginx\", \"-g\", \"daemon off;\"]\n", text);
        Assert.Contains("HEALTHCHECK --interval=1m30s --retries=2 CMD [\"curl\", \"-f\", \"http://localhost/\"]\n", text);

        var reparsed = ParseText(text);
        Assert.Equal(["web-build", "web"], reparsed.Stages.Select(s => s.Name));
        var expectedBuild = WithoutLocations([set.Get("web/build")])[0];
        var actualBuild = WithoutLocations([reparsed.Stages[0]])[0];
        Assert.Equal(expectedBuild.Instructions, actualBuild.Instructions);

        var expectedWeb = WithoutLocations([set.Get("web")])[0].Instructions
            .Select(i => i is CopyInstruction { From: ImageSource.Stage } c ? c with { From = new ImageSource.Stage("web-build") } : i);
        Assert.Equal(expectedWeb, WithoutLocations([reparsed.Stages[1]])[0].Instructions);
        Assert.Empty(reparsed.UnresolvedVariables);
    }

    [Fact]
    public void Multi_line_run_scripts_become_heredocs_with_a_free_delimiter()
    {
        var text = DockerfileRenderer.Render(WebRecipes().Get("web/build"));
        Assert.Contains("RUN <<EOF1\nset -e\nnpm test\ncat <<EOF\nhi\nEOF\nEOF1\n", text);
    }

    [Fact]
    public void Without_heredocs_multi_line_scripts_run_through_the_stage_shell_in_exec_form()
    {
        var document = ParseText("FROM alpine:3.20 AS base\nRUN <<EOF\necho one\necho two\nEOF\nSHELL [\"/bin/bash\", \"-eo\", \"pipefail\", \"-c\"]\nFROM base\nRUN <<EOF\nset -x\nls | wc -l\nEOF\nRUN single line\n");
        var text = DockerfileRenderer.Render(document.Stages, heredocs: false);

        Assert.DoesNotContain("<<", text);
        Assert.Contains("RUN [\"/bin/sh\", \"-c\", \"echo one\\necho two\\n\"]\n", text);
        Assert.Contains("RUN [\"/bin/bash\", \"-eo\", \"pipefail\", \"-c\", \"set -x\\nls | wc -l\\n\"]\n", text);
        Assert.Contains("RUN single line\n", text);

        var originalRuns = document.Stages.SelectMany(s => s.Instructions.OfType<RunInstruction>()).ToList();
        var reparsedRuns = ParseText(text).Stages.SelectMany(s => s.Instructions.OfType<RunInstruction>()).ToList();
        string[][] shells = [["/bin/sh", "-c"], ["/bin/bash", "-eo", "pipefail", "-c"], ["/bin/bash", "-eo", "pipefail", "-c"]];
        for (var i = 0; i < originalRuns.Count; i++)
            Assert.Equal(originalRuns[i].Command.ToArgv(shells[i]), reparsedRuns[i].Command.ToArgv(shells[i]));
    }

    [Fact]
    public void A_stage_base_and_copy_source_can_be_replaced_by_a_pinned_image()
    {
        var web = WebRecipes().Get("web");
        var stageBased = web with { Base = new ImageSource.Stage("web/build") };
        var text = DockerfileRenderer.Render(stageBased, name => name == "web/build" ? PinnedBuild : null);

        Assert.StartsWith($"FROM {PinnedBuild} AS web\n", text);
        Assert.Contains($"COPY --from={PinnedBuild} --chown=101:101 /src/dist /usr/share/nginx/html/\n", text);
        var stage = Assert.Single(ParseText(text).Stages);
        Assert.Equal(new ImageSource.Registry(PinnedBuild), stage.Base);
        Assert.Equal(new ImageSource.Registry(PinnedBuild), stage.Instructions.OfType<CopyInstruction>().First().From);
    }

    [Fact]
    public void A_stage_reference_outside_the_rendered_set_needs_an_image()
    {
        var web = WebRecipes().Get("web");
        var exception = Assert.Throws<OrchestratorException>(() => DockerfileRenderer.Render(web));
        Assert.Contains("stage 'web'", exception.Message);
        Assert.Contains("reads stage 'web/build', which is not among the stages rendered", exception.Message);
    }

    [Fact]
    public void Stages_are_written_in_dependency_order_keeping_the_given_order_otherwise()
    {
        var set = WebRecipes();
        var text = DockerfileRenderer.Render([set.Get("web"), set.Get("web/build")]);
        Assert.True(text.IndexOf("AS web-build", StringComparison.Ordinal) < text.IndexOf("AS web\n", StringComparison.Ordinal));

        var stages = Parse("stage-chain.Dockerfile").Stages.Reverse().ToList();
        var reparsed = ParseText(DockerfileRenderer.Render(stages));
        Assert.Equal(["base", "deps", "test", "release"], reparsed.Stages.Select(s => s.Name));
    }

    [Fact]
    public void Stage_names_are_mapped_to_valid_unique_docker_names_deterministically()
    {
        static StageRecipe Stage(string name, ImageSource? source = null) =>
            new(name, false, source ?? new ImageSource.Registry("alpine:3.20"), [], SourceLocation.Unknown);

        var stages = new[]
        {
            Stage("web-build"), Stage("web/build"), Stage("Web/Build"), Stage("2fast"), Stage("scratch"), Stage("api.v2_x"),
            Stage("final", new ImageSource.Stage("web/build")),
        };
        var text = DockerfileRenderer.Render(stages);
        var names = ParseText(text).Stages.Select(s => s.Name).ToList();
        Assert.Equal(["web-build", "web-build-2", "web-build-3", "stage-2fast", "scratch-stage", "api.v2_x", "final"], names);
        Assert.Contains("FROM web-build-2 AS final", text);
        Assert.Equal(text, DockerfileRenderer.Render(stages));
    }

    [Fact]
    public void Index_named_stages_stay_unnamed_unless_used_as_a_base()
    {
        var stages = new[]
        {
            new StageRecipe("0", false, new ImageSource.Registry("alpine:3.20"), [], SourceLocation.Unknown),
            new StageRecipe("1", false, new ImageSource.Stage("0"), [new CopyInstruction(["/a"], "/b") { From = new ImageSource.Stage("0") }], SourceLocation.Unknown),
        };
        var text = DockerfileRenderer.Render(stages);
        Assert.Equal("FROM alpine:3.20 AS stage-0\n\nFROM stage-0\nCOPY --from=stage-0 /a /b\n", text);
    }

    [Fact]
    public void Values_with_quotes_dollars_spaces_and_backslashes_survive()
    {
        var values = new[] { "plain", "two words", "$HOME", "${X:-y}", "it's", "say \"hi\"", "C:\\path\\", "\\", "", "a=b", "[json]", "--flag", "tab\there" };
        var instructions = new List<Instruction>();
        foreach (var value in values)
        {
            instructions.Add(new EnvInstruction([new("V", value)]));
            instructions.Add(new LabelInstruction([new("l", value)]));
            instructions.Add(new ArgInstruction("A", value));
            if (value.Length > 0)
            {
                instructions.Add(new WorkdirInstruction(value));
                instructions.Add(new UserInstruction(value));
                instructions.Add(new CopyInstruction([value, "x"], value) { Chown = value, Chmod = value });
                instructions.Add(new VolumeInstruction([value]));
                instructions.Add(new CmdInstruction(Command.Exec(value, "arg")));
            }
        }
        var stage = new StageRecipe("values", false, ImageSource.Scratch.Instance, instructions.ToEquatableArray(), SourceLocation.Unknown);
        var text = DockerfileRenderer.Render(stage);
        var reparsed = Assert.Single(ParseText(text).Stages);
        var expected = WithoutLocations([stage])[0].Instructions;
        var actual = WithoutLocations([reparsed])[0].Instructions;
        for (var i = 0; i < expected.Count; i++)
            Assert.True(expected[i].Equals(actual[i]), $"{expected[i]}\n!=\n{actual[i]}\n{text}");
        Assert.Equal(expected.Count, actual.Count);
    }

    [Fact]
    public void Shell_text_that_does_not_fit_one_line_is_refused_outside_RUN()
    {
        var stage = new StageRecipe("x", false, ImageSource.Scratch.Instance, [new CmdInstruction(Command.Shell("echo a\necho b"))], SourceLocation.Unknown);
        var exception = Assert.Throws<OrchestratorException>(() => DockerfileRenderer.Render(stage));
        Assert.Contains("CMD shell command", exception.Message);

        var env = stage with { Instructions = [new EnvInstruction([new("A", "line\nbreak")])] };
        Assert.Contains("line break", Assert.Throws<OrchestratorException>(() => DockerfileRenderer.Render(env)).Message);
    }

    [Fact]
    public void Run_shell_text_that_looks_like_json_or_a_flag_is_kept_as_shell_text()
    {
        var runs = new Instruction[]
        {
            new RunInstruction(Command.Shell("[\"not\", \"exec\"]"), RunOptions.Default),
            new RunInstruction(Command.Shell("--version"), RunOptions.Default),
            new RunInstruction(Command.Shell("echo trailing \\"), RunOptions.Default),
            new RunInstruction(Command.Shell("cat <<END > /x"), RunOptions.Default),
        };
        var stage = new StageRecipe("x", false, ImageSource.Scratch.Instance, runs, SourceLocation.Unknown);
        var reparsed = ParseText(DockerfileRenderer.Render(stage)).Stages[0].Instructions.OfType<RunInstruction>().ToList();
        Assert.All(reparsed, r => Assert.True(r.Command.IsShellForm));
        Assert.Equal(["[\"not\", \"exec\"]\n", "--version\n", "echo trailing \\\n", "cat <<END > /x\n"], reparsed.Select(r => r.Command.ShellText));
    }

    [Fact]
    public void Stages_that_depend_on_each_other_in_a_cycle_cannot_be_rendered()
    {
        var a = new StageRecipe("a", false, new ImageSource.Stage("b"), [], SourceLocation.Unknown);
        var b = new StageRecipe("b", false, new ImageSource.Stage("a"), [], SourceLocation.Unknown);
        Assert.Contains("cycle", Assert.Throws<OrchestratorException>(() => DockerfileRenderer.Render([a, b])).Message);
    }
}
