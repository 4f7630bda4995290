using System.Runtime.Versioning;
using System.Text.Json;
using Orchestrator.Cli;
using Orchestrator.Dockerfiles;
using Orchestrator.Execution;
using Orchestrator.Oci.Documents;
using Orchestrator.Recipes;
using Orchestrator.Testing;
using Orchestrator.Testing.BaseImages;
using Orchestrator.Tests.Conformance;
using Orchestrator.Tests.Layers;

namespace Orchestrator.Tests.Execution;

/// <summary>
/// A base whose config sets no PATH (scratch-based and home-made bases): like BuildKit, the stage gets Docker's
/// default PATH — in the image config, in RUN steps and in <c>$PATH</c> expansion.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class DefaultPathTests(ConformanceEnvironment environment) : IClassFixture<ConformanceEnvironment>, IDisposable
{
    private const string Default = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Expansion_sees_the_default_path_when_the_base_sets_none()
    {
        var options = new DockerfileParserOptions { BaseImageEnvironment = image => image == "home/made:1" ? new Dictionary<string, string> { ["LANG"] = "C" } : null };

        var known = DockerfileParser.Parse("FROM home/made:1\nENV PATH=/opt/tools/bin:$PATH\n", "Dockerfile", options);
        var scratch = DockerfileParser.Parse("FROM scratch\nENV PATH=/opt/tools/bin:$PATH\n", "Dockerfile", options);
        var unknown = DockerfileParser.Parse("FROM unreachable/base:1\nENV PATH=/opt/tools/bin:$PATH\n", "Dockerfile", options);

        Assert.Equal("/opt/tools/bin:" + Default, known.Stages[0].Instructions.OfType<EnvInstruction>().Single().Variables[0].Value);
        Assert.Equal("/opt/tools/bin:" + Default, scratch.Stages[0].Instructions.OfType<EnvInstruction>().Single().Variables[0].Value);
        // A base that could not be read stays unknown (and is reported), rather than guessed.
        Assert.Equal("/opt/tools/bin:", unknown.Stages[0].Instructions.OfType<EnvInstruction>().Single().Variables[0].Value);
        Assert.Contains(unknown.UnresolvedVariables, v => v.Name == "PATH");
    }

    [Fact]
    public void A_base_path_is_kept_and_a_missing_one_is_added()
    {
        var own = new ImageConfig { Config = new ContainerConfig { Env = ["PATH=/bin", "A=1"] } };
        var none = new ImageConfig { Config = new ContainerConfig { Env = ["A=1"] } };

        Assert.Equal(["PATH=/bin", "A=1"], ConfigInstructions.WithDefaultPath(own).Config!.Env);
        Assert.Equal(["A=1", "PATH=" + Default], ConfigInstructions.WithDefaultPath(none).Config!.Env);
        Assert.Equal(["PATH=" + Default], ConfigInstructions.WithDefaultPath(new ImageConfig()).Config!.Env);
    }

    [Fact]
    public async Task An_image_on_a_base_without_path_gets_dockers_path_in_its_config_and_its_steps()
    {
        var tarball = Path.Combine(_temp.Path, "busybox.tar.gz");
        await BusyboxLayer.WriteAsync(tarball);
        var reference = $"{environment.RegistryAddress}/conformance/busybox-no-path:1";
        await BaseImagePublisher.PublishAsync(tarball, reference, ["/bin/sh"], _temp.Path, env: ["LANG=C.UTF-8"]);
        var context = Directory.CreateDirectory(Path.Combine(_temp.Path, "context")).FullName;
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), """
            ARG BASE
            FROM ${BASE}
            RUN echo "$PATH" > /seen-by-run.txt
            ENV PATH=/opt/tools/bin:$PATH
            """);
        var layout = Path.Combine(_temp.Path, "layout");

        await ExecutorBuild.ToLayoutAsync(context, layout, Path.Combine(_temp.Path, "cache"), "--build-arg", $"BASE={reference}");

        var inspect = (await ExternalTool.RunAsync("skopeo", ["inspect", "--config", $"oci:{layout}:latest"])).EnsureSuccess();
        using var config = JsonDocument.Parse(inspect.StandardOutput);
        Assert.Equal(["LANG=C.UTF-8", "PATH=/opt/tools/bin:" + Default], config.RootElement.GetProperty("config").GetProperty("Env").EnumerateArray().Select(e => e.GetString()));
        await RootfsSnapshot.UnpackAsync(layout);
        Assert.Equal(Default + "\n", await File.ReadAllTextAsync(Path.Combine(RootfsSnapshot.RootfsFolder(layout), "seen-by-run.txt")));
    }
}
