#if WRITE_BUILDKIT_GOLDENS
using System.Runtime.Versioning;

namespace Orchestrator.Tests.Conformance;

/// <summary>
/// Writes the BuildKit goldens (<see cref="BuildKitGolden"/>): builds every case (or those named, space-separated, in
/// <c>ORCHESTRATOR_BUILDKIT_CASES</c>) with the BuildKit daemon that make-goldens.sh started, and records the image
/// relative to its base. The bases are this suite's own (<see cref="ConformanceEnvironment"/>), pushed to the
/// script's registry (<c>ORCHESTRATOR_CONFORMANCE_REGISTRY</c>), since BuildKit must be told of a plain-HTTP registry
/// before it starts. Compiled only when make-goldens.sh builds the tests with <c>-p:WriteBuildKitGoldens=true</c>,
/// so an ordinary test run neither runs nor lists it.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class BuildKitGoldenWriter(ConformanceEnvironment environment) : IClassFixture<ConformanceEnvironment>
{
    public const string CasesVariable = "ORCHESTRATOR_BUILDKIT_CASES";

    /// <summary><c>kaniko</c> writes the goldens of Kaniko's adapted integration cases (<see cref="KanikoCase"/>) instead of Cases/.</summary>
    public const string SuiteVariable = "ORCHESTRATOR_BUILDKIT_SUITE";

    [Fact]
    public async Task Writes_the_goldens_from_what_BuildKit_builds()
    {
        var buildKit = BuildKitBuilder.FromEnvironment()!;
        var version = await buildKit.DaemonVersionAsync();
        var kaniko = Environment.GetEnvironmentVariable(SuiteVariable) == "kaniko";
        var requested = (Environment.GetEnvironmentVariable(CasesVariable) ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var cases = requested.Length > 0 ? requested
            : kaniko ? KanikoCase.AllCases().ToArray()
            : ConformanceCase.AllCases().Where(c => !BuildKitGoldenCaseRunner.LeftOut.ContainsKey(c)).ToArray();
        var failures = new List<string>();
        foreach (var name in cases)
        {
            try
            {
                if (kaniko)
                {
                    using var @case = await KanikoCase.PrepareAsync(name, environment);
                    await RecordAsync(buildKit, version, @case.Context, @case.BuildArgs, @case.Target, @case.FinalBase, !KanikoCase.PackageCases.Contains(name), @case.Folder, KanikoCase.GoldenPath(name));
                }
                else
                {
                    using var @case = await ConformanceCase.PrepareAsync(name, environment);
                    await RecordAsync(buildKit, version, @case.Context, @case.BuildArgs, null, @case.FinalBase, !ConformanceCase.PackageCases.Contains(name), @case.Folder, BuildKitGolden.PathOf(name));
                }
            }
            catch (InvalidOperationException error)
            {
                failures.Add($"{name}: {error.Message}");
            }
        }
        Assert.True(failures.Count == 0, $"BuildKit could not build:\n{string.Join("\n", failures)}");
    }

    /// <summary>Builds one prepared context with BuildKit and writes its golden, relative to <paramref name="finalBase"/>.</summary>
    private async Task RecordAsync(BuildKitBuilder buildKit, string version, string context, IReadOnlyDictionary<string, string> buildArgs, string? target, string finalBase, bool contentCompared, string folder, string goldenPath)
    {
        var layout = Path.Combine(folder, "buildkit");
        await buildKit.BuildAsync(context, buildArgs, layout, target);
        var comparer = BuildKitGolden.Comparer(contentCompared);
        var changes = (await RootfsSnapshot.UnpackAsync(layout)).ChangesFrom(await environment.BaseRootfsAsync(finalBase))
            .Where(e => !comparer.IsIgnored(e.Path));
        new BuildKitGolden(version, finalBase, contentCompared, ImageConfigFields.Read(layout), changes).WriteFile(goldenPath);
    }
}
#endif
