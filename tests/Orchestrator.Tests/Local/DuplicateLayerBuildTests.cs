using System.Runtime.Versioning;
using Orchestrator.Cli;
using Orchestrator.Tests.Conformance;
using Orchestrator.Tests.Layers;

namespace Orchestrator.Tests.Local;

/// <summary>
/// A Dockerfile whose two COPY steps give the same layer (one diffID, one store folder) and a RUN after
/// them: the overlay sandbox must run it, as Docker does.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class DuplicateLayerBuildTests(ConformanceEnvironment environment) : IClassFixture<ConformanceEnvironment>, IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_RUN_after_the_same_COPY_twice_builds()
    {
        var context = Path.Combine(_temp.Path, "context");
        Directory.CreateDirectory(context);
        File.WriteAllText(Path.Combine(context, "foo"), "foo\n");
        File.WriteAllText(Path.Combine(context, "Dockerfile"), """
            ARG BUSYBOX
            FROM ${BUSYBOX}
            COPY foo /foo
            COPY foo /foo
            RUN cat /foo && echo ran > /ran
            """);
        var output = await ExecutorBuild.ToLayoutAsync(context, Path.Combine(_temp.Path, "layout"), Path.Combine(_temp.Path, "cache"),
            "--sandbox", "overlay", "--build-arg", $"BUSYBOX={environment.Busybox}");

        Assert.Contains(output.Split('\n'), l => l.TrimEnd().EndsWith(" foo", StringComparison.Ordinal)); // the RUN's output
    }
}
