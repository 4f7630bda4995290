using Orchestrator.Execution;
using Orchestrator.Oci.Documents;
using Orchestrator.Recipes;
using static Orchestrator.Execution.ConfigInstructions;

namespace Orchestrator.Tests.Execution;

public sealed class ConfigInstructionsTests
{
    private static StageState Base(ContainerConfig? config = null) => new(new ImageConfig { Config = config });

    private static StageState ApplyAll(StageState state, params Instruction[] steps) => steps.Aggregate(state, Apply);

    [Fact]
    public void Env_replaces_existing_names_and_keeps_order()
    {
        var state = ApplyAll(Base(new ContainerConfig { Env = ["PATH=/bin", "A=1"] }),
            new EnvInstruction([new("A", "2"), new("B", "3")]));
        Assert.Equal(["PATH=/bin", "A=2", "B=3"], state.Container.Env);
    }

    [Fact]
    public void Entrypoint_clears_a_cmd_inherited_from_the_base_but_not_one_set_in_the_stage()
    {
        var inherited = ApplyAll(Base(new ContainerConfig { Cmd = ["sh"] }), new EntrypointInstruction(Command.Exec("/app")));
        Assert.Null(inherited.Container.Cmd);

        var own = ApplyAll(Base(new ContainerConfig { Cmd = ["sh"] }), new CmdInstruction(Command.Exec("serve")), new EntrypointInstruction(Command.Exec("/app")));
        Assert.Equal(["serve"], own.Container.Cmd);
        Assert.Equal(["/app"], own.Container.Entrypoint);
    }

    [Fact]
    public void Maintainer_sets_the_top_level_author_and_a_later_one_replaces_it()
    {
        var state = ApplyAll(Base(), new MaintainerInstruction("first"), new MaintainerInstruction("Jane Doe <jane@example.com>"));
        Assert.Equal("Jane Doe <jane@example.com>", state.Config.Author);
        Assert.Null(state.Container.Labels);
        Assert.True(IsMetadataOnly(new MaintainerInstruction("x")));
        Assert.Equal("Jane Doe <jane@example.com>", ApplyAll(state, new EnvInstruction([new("A", "1")])).Config.Author);
    }

    [Fact]
    public void Scratch_starts_at_the_root_with_dockers_default_path_as_buildkit_empty_image()
    {
        var scratch = LocalImage.Scratch(DateTimeOffset.UnixEpoch);
        Assert.Equal("/", scratch.Config.Config!.WorkingDir);
        Assert.Equal(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], scratch.Config.Config.Env);
        Assert.Null(scratch.Config.Author);
        var state = ApplyAll(new StageState(scratch.Config), new WorkdirInstruction("app"), new WorkdirInstruction("../srv/./x"));
        Assert.Equal("/srv/x", state.Container.WorkingDir);
    }

    [Fact]
    public void Shell_form_uses_the_current_shell()
    {
        var state = ApplyAll(Base(), new ShellInstruction(["/bin/bash", "-eo", "pipefail", "-c"]), new CmdInstruction(Command.Shell("echo hi")));
        Assert.Equal(["/bin/bash", "-eo", "pipefail", "-c", "echo hi"], state.Container.Cmd);
    }

    [Theory]
    [InlineData("/", "app", "/app")]
    [InlineData("/app", "src", "/app/src")]
    [InlineData("/app", "/srv", "/srv")]
    [InlineData("/app/src", "../lib/./x", "/app/lib/x")]
    [InlineData("/", "../..", "/")]
    public void Workdir_builds_on_the_previous_one(string current, string path, string expected) =>
        Assert.Equal(expected, ResolveWorkdir(current, path));

    [Fact]
    public void Expose_defaults_to_tcp_and_volumes_accumulate()
    {
        var state = ApplyAll(Base(new ContainerConfig { Volumes = new Dictionary<string, EmptyObject> { ["/data"] = EmptyObject.Instance } }),
            new ExposeInstruction(["80", "53/UDP"]), new VolumeInstruction(["/cache"]));
        Assert.Equal(["53/udp", "80/tcp"], state.Container.ExposedPorts!.Keys);
        Assert.Equal(["/cache", "/data"], state.Container.Volumes!.Keys);
    }

    [Fact]
    public void Labels_merge_and_later_values_win()
    {
        var state = ApplyAll(Base(new ContainerConfig { Labels = new Dictionary<string, string> { ["a"] = "1", ["b"] = "1" } }),
            new LabelInstruction([new("b", "2"), new("c", "3")]));
        Assert.Equal(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2", ["c"] = "3" }, state.Container.Labels);
    }

    [Fact]
    public void Healthcheck_forms_and_none()
    {
        var shell = ApplyAll(Base(), new HealthcheckInstruction(Command.Shell("curl -f localhost")) { Interval = TimeSpan.FromSeconds(30), Retries = 3 });
        Assert.Equal(["CMD-SHELL", "curl -f localhost"], shell.Container.Healthcheck!.Test);
        Assert.Equal(30_000_000_000, shell.Container.Healthcheck.IntervalNanoseconds);
        Assert.Equal(3, shell.Container.Healthcheck.Retries);
        var none = ApplyAll(shell, new HealthcheckInstruction((Command?)null));
        Assert.Equal(["NONE"], none.Container.Healthcheck!.Test);
    }

    [Fact]
    public void Run_environment_has_args_under_env_and_a_default_path()
    {
        var state = ApplyAll(Base(), new EnvInstruction([new("MODE", "env")]));
        var env = RunEnvironment(state, new Dictionary<string, string> { ["MODE"] = "arg", ["VERSION"] = "1" });
        Assert.Equal(["VERSION=1", "MODE=env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], env);
    }
}
