using Orchestrator.Dockerfiles;
using Orchestrator.Recipes;
using static Orchestrator.Tests.Dockerfiles.DockerfileCases;

namespace Orchestrator.Tests.Dockerfiles;

public class DockerfileExpansionTests
{
    private static Dictionary<string, string> Args(params (string Key, string Value)[] args) => args.ToDictionary(a => a.Key, a => a.Value);

    [Fact]
    public void Global_args_expand_in_FROM_and_must_be_redeclared_inside_a_stage()
    {
        var document = Parse("arg-before-from.Dockerfile");
        var stage = Assert.Single(document.Stages);
        Assert.Equal(new ImageSource.Registry("docker.io/library/alpine:3.20"), stage.Base);
        Assert.Equal(["REGISTRY=docker.io/library", "BASE_TAG=3.20", "UNUSED="], document.GlobalArgs.Select(a => $"{a.Name}={a.Value}"));
        Assert.Null(document.GlobalArgs[2].Value);
        Assert.Equal("3.20", Single<ArgInstruction>(stage).Value);
        Assert.Equal("3.20", Single<LabelInstruction>(stage).Labels[0].Value);
        Assert.Equal("echo \"built on $BASE_TAG\"", Single<RunInstruction>(stage).Command.ShellText);
    }

    [Fact]
    public void A_global_arg_that_is_not_redeclared_is_empty_inside_the_stage_and_reported()
    {
        var document = ParseText("ARG V=1\nFROM alpine:3.20\nENV A=[$V]\nARG V\nENV B=[$V]\n");
        var envs = document.Stages[0].Instructions.OfType<EnvInstruction>().ToList();
        Assert.Equal("[]", envs[0].Variables[0].Value);
        Assert.Equal("[1]", envs[1].Variables[0].Value);
        var unresolved = Assert.Single(document.UnresolvedVariables);
        Assert.Equal(("V", 3), (unresolved.Name, unresolved.Location.Line));
    }

    [Fact]
    public void Only_plain_references_to_undeclared_variables_are_reported()
    {
        var document = ParseText("FROM alpine:${TAG:-3.20}\nARG DECLARED\nENV A=$DECLARED B=${GONE:-x} C=${GONE:+y} D=$GONE\nUSER ${NOBODY}\n");
        Assert.Equal(["GONE@3", "NOBODY@4"], document.UnresolvedVariables.Select(u => $"{u.Name}@{u.Location.Line}"));
        Assert.Contains("$GONE is not set", document.UnresolvedVariables[0].ToString());
    }

    [Fact]
    public void Build_args_override_defaults_but_only_for_declared_args()
    {
        var document = ParseText("ARG TAG=3.19\nFROM alpine:${TAG}\nARG MODE=debug\nARG TAG\nENV M=$MODE T=$TAG U=${UNDECLARED:-none}\n",
            Args(("TAG", "3.20"), ("MODE", "release"), ("UNDECLARED", "x")));
        var stage = document.Stages[0];
        Assert.Equal(new ImageSource.Registry("alpine:3.20"), stage.Base);
        Assert.Equal(["MODE=release", "TAG=3.20"], stage.Instructions.OfType<ArgInstruction>().Select(a => $"{a.Name}={a.Value}"));
        Assert.Equal(["release", "3.20", "none"], Single<EnvInstruction>(stage).Variables.Select(v => v.Value));
    }

    [Fact]
    public void Env_overrides_an_arg_of_the_same_name_and_values_in_one_ENV_or_ARG_see_the_previous_scope()
    {
        // BuildKit expands a whole stage ARG line before declaring any of it: C's ${A} is not declared yet.
        var stage = Parse("arg-multi-and-quotes.Dockerfile").Stages[0];
        Assert.Equal(["A=1", "B=two words", "C=-x", "D=env-wins"], stage.Instructions.OfType<ArgInstruction>().Select(a => $"{a.Name}={a.Value}"));

        var chained = ParseText("FROM alpine:3.20\nENV A=1\nENV A=2 B=$A\nENV C=$A\n").Stages[0].Instructions.OfType<EnvInstruction>().ToList();
        Assert.Equal("1", chained[1].Variables[1].Value);
        Assert.Equal("2", chained[2].Variables[0].Value);
    }

    [Fact]
    public void Env_and_label_forms_quotes_escapes_and_modifiers()
    {
        var stage = Parse("env-forms.Dockerfile").Stages[0];
        var envs = stage.Instructions.OfType<EnvInstruction>().ToList();
        Assert.Equal(new KeyValuePair<string, string>("APP_HOME", "/opt/my app"), envs[0].Variables.Single());
        Assert.Equal(["A=1", "B=two words", "C=single $quoted", "D=$literal"], envs[1].Variables.Select(v => $"{v.Key}={v.Value}"));
        Assert.Equal("1-two words-fallback-set", envs[2].Variables[0].Value);
        var labels = stage.Instructions.OfType<LabelInstruction>().ToList();
        Assert.Equal(["org.opencontainers.image.title=My App", "org.opencontainers.image.version=1.0", "description=it's fine"], labels[0].Labels.Select(l => $"{l.Key}={l.Value}"));
        Assert.Single(labels);
    }

    [Theory]
    [InlineData("${SET:-d}", "value")]
    [InlineData("${EMPTY:-d}", "d")]
    [InlineData("${EMPTY-d}", "")]
    [InlineData("${UNSET-d}", "d")]
    [InlineData("${SET:+alt}", "alt")]
    [InlineData("${EMPTY:+alt}", "")]
    [InlineData("${EMPTY+alt}", "alt")]
    [InlineData("${UNSET:+alt}", "")]
    [InlineData("${UNSET:-${SET}-nested}", "value-nested")]
    [InlineData("$SET$SET", "valuevalue")]
    [InlineData("${SET}x", "valuex")]
    [InlineData("$SETx", "")]
    [InlineData("\\$SET", "$SET")]
    [InlineData("'$SET'", "$SET")]
    [InlineData("\"$SET\"", "value")]
    [InlineData("\"\\$SET \\\"q\\\"\"", "$SET \"q\"")]
    [InlineData("a\\ b", "a b")]
    [InlineData("cost$", "cost$")]
    [InlineData("$1", "")]
    public void Variable_expansion_follows_the_shell_rules_Docker_uses(string word, string expected)
    {
        var text = $"FROM alpine:3.20\nENV SET=value EMPTY=\"\"\nWORKDIR {word}\n";
        var workdir = Single<WorkdirInstruction>(ParseText(text).Stages[0]);
        Assert.Equal(expected, workdir.Path);
    }

    [Fact]
    public void Run_cmd_and_entrypoint_are_left_to_the_shell()
    {
        var stage = ParseText("FROM alpine:3.20\nENV X=1\nRUN echo $X ${X:-y}\nCMD echo $X\nENTRYPOINT [\"sh\", \"-c\", \"echo $X\"]\n").Stages[0];
        Assert.Equal("echo $X ${X:-y}", Single<RunInstruction>(stage).Command.ShellText);
        Assert.Equal("echo $X", Single<CmdInstruction>(stage).Command.ShellText);
        Assert.Equal(["sh", "-c", "echo $X"], Single<EntrypointInstruction>(stage).Command.Arguments);
    }

    [Fact]
    public void A_stage_built_from_another_stage_inherits_its_env_and_its_arg_values()
    {
        // BuildKit 0.11 keeps ARG values in the stage's environment, which a stage built FROM it starts with.
        var document = ParseText("FROM alpine:3.20 AS base\nARG A=arg\nENV E=env\nFROM base\nWORKDIR /$E/[$A]\n");
        Assert.Equal(new ImageSource.Stage("base"), document.Stages[1].Base);
        Assert.Equal("/env/[arg]", Single<WorkdirInstruction>(document.Stages[1]).Path);
        Assert.Equal("/srv/app", Single<WorkdirInstruction>(Stage(Parse("stage-chain.Dockerfile"), "deps")).Path);
    }

    [Fact]
    public void The_inherited_args_directive_gives_a_stage_its_values_and_names_a_malformed_value()
    {
        var stage = ParseText("# orchestratorargs={\"app\":{\"VERSION\":\"1.2\"}}\nFROM busybox AS app\nENV V=$VERSION\n").Stages[0];
        Assert.Equal("1.2", Single<EnvInstruction>(stage).Variables[0].Value);

        foreach (var value in new[] { "[]", "{\"app\":1}", "{\"app\":{\"VERSION\":1}}", "{\"app\":", "null" })
        {
            var error = Assert.ThrowsAny<OrchestratorException>(() => ParseText($"# orchestratorargs={value}\nFROM busybox AS app\n"));
            Assert.Contains("parser directive 'orchestratorargs' must be a JSON object of stage names to objects of ARG values", error.Message);
        }
    }

    [Fact]
    public void Base_image_environment_is_used_when_the_caller_provides_it()
    {
        var text = "FROM debian:bookworm\nENV PATH=/opt/bin:$PATH\n";
        var without = ParseText(text);
        Assert.Equal("/opt/bin:", Single<EnvInstruction>(without.Stages[0]).Variables[0].Value);
        Assert.Equal("PATH", Assert.Single(without.UnresolvedVariables).Name);

        var options = new DockerfileParserOptions
        {
            BaseImageEnvironment = image => image == "debian:bookworm" ? new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" } : null,
        };
        var with = DockerfileParser.Parse(text, "Dockerfile", options);
        Assert.Equal("/opt/bin:/usr/bin:/bin", Single<EnvInstruction>(with.Stages[0]).Variables[0].Value);
        Assert.Empty(with.UnresolvedVariables);
    }

    [Fact]
    public void Automatic_platform_args_default_to_linux_amd64_and_follow_the_target_platform()
    {
        var stage = Stage(Parse("platform-args.Dockerfile"), "build");
        Assert.Equal(["TARGETOS=linux", "TARGETARCH=amd64"], stage.Instructions.OfType<ArgInstruction>().Select(a => $"{a.Name}={a.Value}"));
        Assert.Equal("linux/amd64", Single<EnvInstruction>(stage).Variables[0].Value);
        Assert.NotNull(stage.Platform);

        var text = "FROM --platform=$TARGETPLATFORM alpine:3.20\nARG TARGETARCH\nARG TARGETVARIANT\nENV P=$TARGETARCH/$TARGETVARIANT\n";
        var arm = DockerfileParser.Parse(text, "Dockerfile", new DockerfileParserOptions { TargetPlatform = "linux/arm64/v8" }).Stages[0];
        Assert.Equal("linux/arm64/v8", arm.Platform);
        Assert.Equal("arm64/v8", Single<EnvInstruction>(arm).Variables[0].Value);
    }

    [Fact]
    public void Continuations_drop_comment_and_empty_lines_and_keep_the_spacing()
    {
        var run = Single<RunInstruction>(Parse("apt-continuations.Dockerfile").Stages[0]);
        Assert.Equal(
            "apt-get update  && apt-get install -y --no-install-recommends         ca-certificates         curl         jq  && rm -rf /var/lib/apt/lists/*",
            run.Command.ShellText);
        Assert.Equal(2, run.Location.Line);
    }

    [Fact]
    public void Backtick_escape_directive_makes_backslashes_literal()
    {
        var document = Parse("windows-escape.Dockerfile");
        var stage = document.Stages[0];
        Assert.Equal("C:\\app", Single<WorkdirInstruction>(stage).Path);
        Assert.Equal(["app\\"], Single<CopyInstruction>(stage).Sources);
        Assert.Equal("C:\\app\\", Single<CopyInstruction>(stage).Destination);
        Assert.Equal("Write-Host 'one' ;     Write-Host 'two'", Single<RunInstruction>(stage).Command.ShellText);
        Assert.Equal(6, Single<RunInstruction>(stage).Location.Line);
        Assert.Equal("C:\\tools", Single<EnvInstruction>(stage).Variables[0].Value);
        Assert.Equal(["powershell", "-Command", "$ErrorActionPreference = 'Stop';"], Single<ShellInstruction>(stage).Shell);
    }

    [Fact]
    public void Directives_count_only_at_the_top()
    {
        var late = ParseText("# a comment first\n# escape=`\nFROM alpine:3.20\nRUN a \\\n  b\n");
        Assert.Equal("a   b", Single<RunInstruction>(late.Stages[0]).Command.ShellText);
        Assert.Equal("docker/dockerfile:1.7", Parse("heredoc-run.Dockerfile").Syntax);
    }

    [Fact]
    public void Heredocs_become_shell_scripts()
    {
        var runs = Parse("heredoc-run.Dockerfile").Stages[0].Instructions.OfType<RunInstruction>().ToList();
        Assert.Equal("set -e\napk add --no-cache bash\necho done > /done.txt\n", runs[0].Command.ShellText);
        Assert.Equal("python3 <<PY\nprint(\"hello\")\nPY\n", runs[1].Command.ShellText);
        Assert.Equal("echo \"$HOME stays for the shell\"\n", runs[2].Command.ShellText);
        Assert.False(runs[2].Options.Network);
        Assert.Equal([3, 8, 11], runs.Select(r => r.Location.Line));
    }

    [Fact]
    public void Exec_form_shell_form_and_invalid_json()
    {
        var stage = Parse("shell-form-variants.Dockerfile").Stages[0];
        var runs = stage.Instructions.OfType<RunInstruction>().ToList();
        Assert.True(runs[0].Command.IsShellForm);
        Assert.Equal("[ -f /etc/alpine-release ] && echo alpine", runs[0].Command.ShellText);
        Assert.False(runs[1].Command.IsShellForm);
        Assert.Equal(["sh", "-c", "echo $HOME"], runs[1].Command.Arguments);
        Assert.Equal("[ \"not json\"", Single<CmdInstruction>(stage).Command.ShellText);
    }

    [Fact]
    public void Run_mounts_and_network_become_run_options()
    {
        var runs = Parse("secrets-cache-mounts.Dockerfile").Stages[0].Instructions.OfType<RunInstruction>().ToList();
        Assert.Equal(new SecretMount("npmrc", "/root/.npmrc", Required: true), Assert.Single(runs[0].Options.Secrets));
        Assert.Equal(new CacheMount("/root/.npm", "npm-cache", "locked"), Assert.Single(runs[0].Options.CacheMounts));
        Assert.True(runs[0].Options.Network);
        Assert.Equal("npm ci", runs[0].Command.ShellText);
        Assert.Equal("/run/secrets/token", Assert.Single(runs[1].Options.Secrets).EffectiveTarget);
        Assert.False(runs[1].Options.Network);
        Assert.Equal(new CacheMount("/var/cache/apt", null, "private"), Assert.Single(runs[2].Options.CacheMounts));
        Assert.True(runs[2].Options.Network);
    }

    [Fact]
    public void Copy_and_add_flags()
    {
        var document = Parse("chown-chmod-link.Dockerfile");
        var final = document.Stages[1];
        var copies = final.Instructions.OfType<CopyInstruction>().ToList();
        Assert.Equal(("1000:1000", "0644", false, (ImageSource?)null), (copies[0].Chown, copies[0].Chmod, copies[0].Link, copies[0].From));
        Assert.Equal((true, (ImageSource?)new ImageSource.Stage("build")), (copies[1].Link, copies[1].From));
        var adds = final.Instructions.OfType<AddInstruction>().ToList();
        Assert.Equal(("app:app", "755"), (adds[0].Chown, adds[0].Chmod));
        Assert.Equal("sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d", adds[1].Checksum);
        Assert.Equal(["vendor.tar.gz"], adds[2].Sources);
    }

    [Fact]
    public void Copy_from_resolves_indexes_names_in_any_case_and_images()
    {
        var unnamed = Parse("unnamed-stages.Dockerfile");
        Assert.Equal(["0", "1", "2"], unnamed.Stages.Select(s => s.Name));
        Assert.Equal([new ImageSource.Stage("0"), new ImageSource.Stage("1")], unnamed.Stages[2].Instructions.OfType<CopyInstruction>().Select(c => c.From));

        var mixed = Parse("mixed-case-and-indent.Dockerfile");
        Assert.Equal(["builder", "1"], mixed.Stages.Select(s => s.Name));
        Assert.Equal(new ImageSource.Stage("builder"), mixed.Stages[1].Base);
        Assert.Equal(new ImageSource.Stage("builder"), Single<CopyInstruction>(mixed.Stages[1]).From);

        var images = Parse("copy-from-image.Dockerfile").Stages[0].Instructions.OfType<CopyInstruction>().Select(c => c.From).ToList();
        Assert.Equal(new ImageSource.Registry("busybox:1.36"), images[0]);
        Assert.IsType<ImageSource.Registry>(images[1]);
        Assert.Equal(ImageSource.Scratch.Instance, Parse("scratch-static.Dockerfile").Stages[1].Base);
    }

    [Fact]
    public void Healthcheck_options_and_none()
    {
        var check = Single<HealthcheckInstruction>(Parse("healthcheck.Dockerfile").Stages[0]);
        Assert.Equal((TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(500), (int?)3),
            (check.Interval, check.Timeout, check.StartPeriod, check.StartInterval, check.Retries));
        Assert.Equal("curl -fsS http://localhost/ || exit 1", check.Test!.ShellText);

        var checks = Parse("healthcheck-none.Dockerfile").Stages[0].Instructions.OfType<HealthcheckInstruction>().ToList();
        Assert.Null(checks[0].Test);
        Assert.Equal(["/bin/check", "--quick"], checks[1].Test!.Arguments);
    }

    [Fact]
    public void Onbuild_keeps_the_trigger_text_and_expose_volume_stopsignal_user_expand()
    {
        var onbuild = Parse("onbuild.Dockerfile").Stages[0].Instructions.OfType<OnbuildInstruction>().Select(o => o.Trigger);
        Assert.Equal(["COPY package.json /app/", "RUN cd /app && npm install", "ARG NODE_ENV=production"], onbuild);

        var volumes = Parse("volume-expose.Dockerfile").Stages[0];
        Assert.Equal(["5432", "8080/tcp", "53/udp"], Single<ExposeInstruction>(volumes).Ports);
        Assert.Equal(["/backups", "/with space"], volumes.Instructions.OfType<VolumeInstruction>().Last().Paths);

        var user = Parse("user-workdir-expansion.Dockerfile").Stages[0];
        Assert.Equal("1001:0", Single<UserInstruction>(user).User);
        Assert.Equal("/home/app/work", Single<WorkdirInstruction>(user).Path);
        Assert.Equal("SIGQUIT", Single<StopSignalInstruction>(Parse("nginx-static.Dockerfile").Stages[1]).Signal);
    }

    [Fact]
    public void Stage_location_and_platform_come_from_the_FROM_line()
    {
        var document = Parse("go-multistage.Dockerfile");
        Assert.Equal([1, 8], document.Stages.Select(s => s.Location.Line));
        Assert.All(document.Stages, s => Assert.Equal("FROM", s.Location.Member));
        Assert.All(document.Stages, s => Assert.False(s.IsImage));
        Assert.Null(document.Stages[0].Platform);
    }

    [Fact]
    public async Task Byte_order_mark_and_crlf_line_ends_are_accepted_and_files_parse_from_disk()
    {
        var path = Path.Combine(Path.GetTempPath(), $"orchestrator-{Guid.NewGuid():N}.Dockerfile");
        await File.WriteAllTextAsync(path, "\uFEFF# syntax=docker/dockerfile:1\r\nFROM alpine:3.20\r\nRUN echo a \\\r\n  b\r\nENV A=1\r\n");
        try
        {
            var document = await DockerfileParser.ParseFileAsync(path, new DockerfileParserOptions());
            Assert.Equal("docker/dockerfile:1", document.Syntax);
            Assert.Equal("echo a   b", Single<RunInstruction>(document.Stages[0]).Command.ShellText);
            Assert.Equal(5, Single<EnvInstruction>(document.Stages[0]).Location.Line);
        }
        finally
        {
            File.Delete(path);
        }
        var missing = await Assert.ThrowsAsync<OrchestratorException>(() => DockerfileParser.ParseFileAsync(path + ".missing", new DockerfileParserOptions()));
        Assert.Contains(".missing' not found", missing.Message);
    }

    [Fact]
    public void An_unterminated_continuation_at_the_end_is_accepted()
    {
        var run = Single<RunInstruction>(ParseText("FROM alpine:3.20\nRUN echo a \\").Stages[0]);
        Assert.Equal("echo a", run.Command.ShellText);
    }
}
