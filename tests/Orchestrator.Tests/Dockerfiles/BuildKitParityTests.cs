using Orchestrator.Dockerfiles;
using Orchestrator.Recipes;
using static Orchestrator.Tests.Dockerfiles.DockerfileCases;

namespace Orchestrator.Tests.Dockerfiles;

/// <summary>
/// Parser behaviour where Kaniko's integration Dockerfiles built differently here than with BuildKit v0.11.6;
/// each case names the BuildKit code (frontend/dockerfile/…) that decides it.
/// </summary>
public sealed class BuildKitParityTests
{
    /// <summary>
    /// parser/line_parsers.go parseJSON decodes the first JSON value with json.Decoder and never looks past it,
    /// so a '#' after the array is not a comment but ignored text, and the instruction keeps its exec form.
    /// </summary>
    [Fact]
    public void Text_after_a_json_array_is_ignored_in_every_json_form()
    {
        var stage = ParseText("""
            FROM alpine:3.20
            ENTRYPOINT ["myentrypoint"] # This should clear out CMD in the config metadata
            CMD ["serve", "--port=80"]   trailing words
            RUN ["echo", "hi"]# glued to the bracket
            SHELL ["/bin/bash", "-c"] # bash from here on
            VOLUME ["/data", "/logs"] # two volumes
            COPY ["a b.txt", "/dst/"] # a path with a space
            ADD ["c.tar", "/opt/"] ["ignored"]
            HEALTHCHECK --retries=2 CMD ["curl", "-f", "http://localhost/"] # probe
            """).Stages[0];

        Assert.Equal(["myentrypoint"], Single<EntrypointInstruction>(stage).Command.Arguments);
        Assert.Equal(["serve", "--port=80"], Single<CmdInstruction>(stage).Command.Arguments);
        Assert.Equal(["echo", "hi"], Single<RunInstruction>(stage).Command.Arguments);
        Assert.Equal(["/bin/bash", "-c"], Single<ShellInstruction>(stage).Shell);
        Assert.Equal(["/data", "/logs"], Single<VolumeInstruction>(stage).Paths);
        var copy = Single<CopyInstruction>(stage);
        Assert.Equal(["a b.txt", "/dst/"], copy.Sources.Append(copy.Destination));
        var add = Single<AddInstruction>(stage);
        Assert.Equal(["c.tar", "/opt/"], add.Sources.Append(add.Destination));
        var healthcheck = Single<HealthcheckInstruction>(stage);
        Assert.Equal(["curl", "-f", "http://localhost/"], healthcheck.Test!.Arguments);
        Assert.Equal(2, healthcheck.Retries);
    }

    /// <summary>What still makes the text shell form: the first JSON value does not decode (Go's decoder fails on it).</summary>
    [Theory]
    [InlineData("[\"a\" # not closed", null)]
    [InlineData("[\"a\",] # trailing comma", null)]
    [InlineData("[ -f /x ] && echo y", null)]
    [InlineData("[1e400] # a number Go cannot hold in a float64", null)]
    [InlineData("  [\"a\"]x", "a")]
    [InlineData("[\"a\"] [\"b\"]", "a")]
    [InlineData("[] # empty", "")]
    public void Shell_form_is_what_does_not_decode_as_json(string text, string? execArgument)
    {
        var cmd = Single<CmdInstruction>(ParseText($"FROM alpine:3.20\nCMD {text}\n").Stages[0]).Command;
        if (execArgument is null)
        {
            Assert.True(cmd.IsShellForm);
            Assert.Equal(text.Trim(), cmd.ShellText);
        }
        else
        {
            Assert.False(cmd.IsShellForm);
            Assert.Equal(execArgument, string.Concat(cmd.Arguments));
        }
    }

    /// <summary>Shell text that would now read back as JSON is written so that it stays shell text.</summary>
    [Fact]
    public void Shell_text_starting_with_a_json_array_renders_back_as_shell_text()
    {
        var stage = new StageRecipe("x", false, ImageSource.Scratch.Instance, [new RunInstruction(Command.Shell("[\"a\"] || true"), RunOptions.Default)], SourceLocation.Unknown);
        var run = Single<RunInstruction>(ParseText(DockerfileRenderer.Render(stage)).Stages[0]);
        Assert.True(run.Command.IsShellForm);
        Assert.Equal("[\"a\"] || true", run.Command.ShellText.TrimEnd('\n'));
    }

    /// <summary>dockerfile2llb/convert.go dispatchMaintainer: <c>d.image.Author = c.Maintainer</c>; the text is not expanded.</summary>
    [Fact]
    public void Maintainer_is_the_image_author_kept_as_written_and_rendered_back()
    {
        var stage = ParseText("FROM alpine:3.20\nENV WHO=x\nMAINTAINER Jane Doe <jane@example.com> $WHO\n").Stages[0];
        var maintainer = Single<MaintainerInstruction>(stage);
        Assert.Equal("Jane Doe <jane@example.com> $WHO", maintainer.Maintainer);
        Assert.Equal(3, maintainer.Location.Line);
        Assert.DoesNotContain(stage.Instructions, i => i is LabelInstruction);

        var text = DockerfileRenderer.Render(stage);
        Assert.Contains("MAINTAINER Jane Doe <jane@example.com> $WHO\n", text);
        Assert.Equal(WithoutLocations([stage]), WithoutLocations(ParseText(text).Stages));
    }

    /// <summary>
    /// instructions/commands.go ArgCommand.Expand expands names and defaults of a stage ARG with the scope before
    /// the line (Kaniko's Dockerfile_test_scratch: <c>ENV src file3</c> then <c>ARG ${src}=context/bar/${baz}</c>);
    /// meta ARGs before FROM keep their names as written (convert.go only expands their values).
    /// </summary>
    [Fact]
    public void Arg_names_in_a_stage_are_expanded_with_the_scope_before_the_line()
    {
        var document = ParseText("""
            ARG ${literal}=kept A=1 B=${A}2
            FROM alpine:3.20
            ENV baz baz
            ENV src file3
            ARG ${src}=context/bar/${baz} second=$file3 9lives
            ARG after=$file3
            ENV prefix=X
            ARG ${prefix}_${src}
            """, new Dictionary<string, string> { ["X_file3"] = "from --build-arg" });

        Assert.Equal(["${literal}=kept", "A=1", "B=12"], document.GlobalArgs.Select(a => $"{a.Name}={a.Value}"));
        var args = document.Stages[0].Instructions.OfType<ArgInstruction>().ToList();
        Assert.Equal(["file3=context/bar/baz", "second=", "9lives=", "after=context/bar/baz", "X_file3=from --build-arg"], args.Select(a => $"{a.Name}={a.Value}"));

        var rendered = ParseText(DockerfileRenderer.Render(document.Stages[0])).Stages[0].Instructions.OfType<ArgInstruction>();
        Assert.Equal(args.Select(a => (a.Name, a.Value)), rendered.Select(a => (a.Name, a.Value)));
    }

    /// <summary>
    /// dockerfile2llb dispatchArg adds every ARG value to the stage's LLB state env (AddEnv), which a stage built FROM
    /// it starts with: the child sees the value, an `ARG NAME` without one keeps it, a default can build on it.
    /// </summary>
    [Fact]
    public void A_stage_built_from_a_stage_starts_with_its_arg_values()
    {
        var document = ParseText("""
            FROM busybox AS base
            ARG NAME="base"
            FROM base AS dev
            ARG NAME="$NAME-dev"
            FROM dev AS custom
            ARG NAME
            ENV SEEN=$NAME
            FROM custom AS last
            ENV ALSO=$NAME
            """);

        Assert.Equal("base-dev", Single<ArgInstruction>(document.Stages[1]).Value);
        Assert.Null(Single<ArgInstruction>(document.Stages[2]).Value);
        Assert.Equal("base-dev", Single<EnvInstruction>(document.Stages[2]).Variables[0].Value);
        Assert.Equal("base-dev", Single<EnvInstruction>(document.Stages[3]).Variables[0].Value);
    }
}
