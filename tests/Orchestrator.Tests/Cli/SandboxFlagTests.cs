using Orchestrator.Cli;
using Orchestrator.Tests.Layers;

namespace Orchestrator.Tests.Cli;

/// <summary>
/// <c>--sandbox</c> reaches the local builder from <c>build</c> and is validated by both commands; the
/// Kaniko snapshot modes are checked like Kaniko checks them. The chroot fallback is told apart by
/// what only it refuses: a RUN step without network needs a network namespace.
/// </summary>
public sealed class SandboxFlagTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly StringWriter _out = new();
    private readonly StringWriter _err = new();

    public void Dispose() => _temp.Dispose();

    private string Output => $"stdout:\n{_out}\nstderr:\n{_err}";

    private string WriteScript()
    {
        var folder = _temp.Sub("script");
        File.Copy(Path.Combine(RepositoryFiles.Root, "recipes", "busybox.csx"), Path.Combine(folder, "busybox.csx"));
        var script = Path.Combine(folder, "build.csx");
        File.WriteAllText(script, "#load \"busybox.csx\"\nImage(\"app\").From(BusyboxBase()).Run(\"echo offline > /offline\", o => o.Network(false));\n");
        return script;
    }

    private Task<int> Build(string script, string sandbox) =>
        CliApp.RunAsync([script, "--sandbox", sandbox, "--no-push", "-o", Path.Combine(_temp.Path, "layout-" + sandbox), "--cache-dir", Path.Combine(_temp.Path, "cache"), "--progress", "plain"], _out, _err);

    [Fact]
    public async Task The_build_command_hands_the_sandbox_choice_to_the_local_builder()
    {
        var script = WriteScript();

        var chroot = await Build(script, "chroot");

        Assert.Equal(ExitCodes.BuildFailed, chroot);
        Assert.Contains(Stat.IsRoot ? "Network(false) needs a network namespace" : "requires root", Output);
        if (Stat.IsRoot)
            Assert.True(await Build(script, "overlay") == ExitCodes.Ok, Output);
    }

    [Theory]
    [InlineData("build", "--sandbox", "bubblewrap")]
    [InlineData("executor", "--sandbox", "bubblewrap")]
    [InlineData("executor", "--snapshot-mode", "fast")]
    public async Task Unknown_values_are_usage_errors_that_name_the_flag(string command, string flag, string value)
    {
        List<string> arguments = command == "build"
            ? [WriteScript(), flag, value, "--no-push"]
            : ["executor", "--no-push", "-c", _temp.Path, flag, value];

        var code = await CliApp.RunAsync([.. arguments], _out, _err);

        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains(value, _err.ToString());
        Assert.Contains(flag, _err.ToString());
    }
}
