using System.Runtime.Versioning;

namespace Orchestrator.Tests.Conformance;

/// <summary>
/// Writes the BuildKit goldens (<see cref="BuildKitGolden"/>): builds every case (or those named, space-separated, in
/// <c>ORCHESTRATOR_BUILDKIT_CASES</c>) with the BuildKit daemon that make-goldens.sh started, and records the image
/// relative to its base. The bases are this suite's own (<see cref="ConformanceEnvironment"/>), pushed to the
/// script's registry (<c>ORCHESTRATOR_CONFORMANCE_REGISTRY</c>), since BuildKit must be told of a plain-HTTP registry
/// before it starts. Skipped unless <c>BUILDCTL</c> and <c>BUILDKIT_HOST</c> are set.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class BuildKitGoldenWriter(ConformanceEnvironment environment) : IClassFixture<ConformanceEnvironment>
{
    public const string CasesVariable = "ORCHESTRATOR_BUILDKIT_CASES";

    [BuildKitDaemonFact]
    public async Task Writes_the_goldens_from_what_BuildKit_builds()
    {
        var buildKit = BuildKitBuilder.FromEnvironment()!;
        var version = await buildKit.DaemonVersionAsync();
        var requested = (Environment.GetEnvironmentVariable(CasesVariable) ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var cases = requested.Length > 0 ? requested : ConformanceCase.AllCases().Where(c => !BuildKitGoldenCaseRunner.LeftOut.ContainsKey(c)).ToArray();
        var failures = new List<string>();
        foreach (var name in cases)
        {
            using var @case = await ConformanceCase.PrepareAsync(name, environment);
            var layout = Path.Combine(@case.Folder, "buildkit");
            try
            {
                await buildKit.BuildAsync(@case.Context, @case.BuildArgs, layout);
            }
            catch (InvalidOperationException error)
            {
                failures.Add($"{name}: {error.Message}");
                continue;
            }
            var contentCompared = !ConformanceCase.PackageCases.Contains(name);
            var comparer = BuildKitGolden.Comparer(contentCompared);
            var changes = (await RootfsSnapshot.UnpackAsync(layout)).ChangesFrom(await environment.BaseRootfsAsync(@case.FinalBase))
                .Where(e => !comparer.IsIgnored(e.Path));
            new BuildKitGolden(version, @case.FinalBase, contentCompared, ImageConfigFields.Read(layout), changes).Write(name);
        }
        Assert.True(failures.Count == 0, $"BuildKit could not build:\n{string.Join("\n", failures)}");
    }
}

/// <summary>A fact that runs only where make-goldens.sh has set <c>BUILDCTL</c> and <c>BUILDKIT_HOST</c>.</summary>
[SupportedOSPlatform("linux")]
internal sealed class BuildKitDaemonFactAttribute : FactAttribute
{
    public BuildKitDaemonFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(BuildKitBuilder.BuildctlVariable) is not { Length: > 0 } || Environment.GetEnvironmentVariable(BuildKitBuilder.AddressVariable) is not { Length: > 0 })
            Skip = "needs a BuildKit daemon: run tests/Orchestrator.Tests/Conformance/buildkit/make-goldens.sh";
    }
}
