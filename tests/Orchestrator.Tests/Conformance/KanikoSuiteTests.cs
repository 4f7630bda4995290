using System.Runtime.Versioning;

namespace Orchestrator.Tests.Conformance;

/// <summary>
/// Kaniko's own integration suite: the Dockerfiles of Kaniko v1.20.0 integration/dockerfiles, adapted to the local
/// bases by <c>Kaniko/adapt.sh</c> (every change in <c>Kaniko/ADAPTATIONS.md</c>). Each case is built by our executor
/// with the flags Kaniko's harness passes for it (<see cref="KanikoCase"/>) and compared with BuildKit's build of the
/// same context, through the case's committed <c>buildkit.golden.json</c> (written by
/// <c>Conformance/buildkit/make-goldens.sh --kaniko</c>, compared as <see cref="BuildKitGoldenCaseRunner"/> does:
/// changes to the final stage's base, config fields). A case BuildKit could not build has no golden and is compared
/// live with buildah instead, as <see cref="ConformanceCaseRunner"/> compares the suite's own cases.
/// </summary>
[SupportedOSPlatform("linux")]
public abstract class KanikoSuiteCaseRunner(ConformanceEnvironment environment)
{
    /// <summary>Cases without a BuildKit golden (compared with buildah), and why.</summary>
    public static readonly IReadOnlyDictionary<string, string> WithoutGolden = new Dictionary<string, string>
    {
        ["test_from_multistage_capital"] = "BuildKit v0.11.6 refuses `FROM BUG_stage` (a stage named with capitals): \"failed to parse stage name\"; Kaniko and buildah accept it",
        ["test_issue_519"] = "BuildKit v0.11.6 refuses `FROM BUG_stage` (a stage named with capitals): \"failed to parse stage name\"; Kaniko and buildah accept it",
    };

    /// <summary>
    /// Cases that still differ from BuildKit, and why (docs/kaniko-compat.md lists them with their issues). Each is still
    /// built and compared, and the test asserts that it differs: a case that builds like the reference now fails until it
    /// is taken out of this list.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> KnownDifferences = new Dictionary<string, string>
    {
    };

    protected static IEnumerable<object[]> Rows(Func<string, bool> include) =>
        KanikoCase.AllCases().Where(include).Select(c => new object[] { c });

    protected async Task RunCaseAsync(string name)
    {
        if (KnownDifferences.TryGetValue(name, out var reason))
        {
            string outcome;
            try
            {
                var found = await DifferencesAsync(name);
                outcome = found.Count == 0 ? "" : RootfsComparer.Report(found);
            }
            catch (Xunit.Sdk.XunitException failed)
            {
                outcome = failed.Message;
            }
            Assert.True(outcome.Length > 0, $"{name} builds like the reference now: take it out of {nameof(KnownDifferences)} ({reason}) and docs/kaniko-compat.md");
            return;
        }
        var differences = await DifferencesAsync(name);
        Assert.True(differences.Count == 0, $"{name}: {RootfsComparer.Report(differences)}");
    }

    private async Task<List<string>> DifferencesAsync(string name)
    {
        using var @case = await KanikoCase.PrepareAsync(name, environment);
        var golden = File.Exists(KanikoCase.GoldenPath(name)) ? BuildKitGolden.ReadFile(KanikoCase.GoldenPath(name)) : null;
        if (golden is not null)
            Assert.True(golden.Base == @case.FinalBase, $"{name}: the golden was made on the {golden.Base} base, the built stage starts from {@case.FinalBase}; run make-goldens.sh --kaniko again");
        var ours = await @case.BuildOursAsync(environment);
        var differences = golden is not null
            ? await BuildKitGoldenCaseRunner.DifferencesAsync(golden, ours, environment)
            : await DifferencesFromBuildahAsync(@case, ours);
        return [.. differences.Select(d => $"({(golden is null ? "buildah" : $"changes to the {golden.Base} base")}) {d}")];
    }

    private async Task<List<string>> DifferencesFromBuildahAsync(KanikoCase @case, string ours)
    {
        var theirs = Path.Combine(@case.Folder, "buildah");
        await new BuildahBuilder(environment).BuildAsync(@case.Context, @case.BuildArgs, $"localhost/kaniko/{@case.Name.ToLowerInvariant()}:latest", theirs, @case.Target);
        var theirConfig = ImageConfigFields.Read(theirs);
        var ourRootfs = await RootfsSnapshot.UnpackAsync(ours);
        var theirRootfs = BuildahQuirks.WithoutStubs(await RootfsSnapshot.UnpackAsync(theirs), ourRootfs, theirConfig.VolumePaths);
        var differences = new RootfsComparer(ConformanceCase.VolatileFiles).Compare(theirRootfs, ourRootfs).ToList();
        differences.AddRange(theirConfig.Differences(ImageConfigFields.Read(ours), "buildah", "ours"));
        return differences;
    }
}

/// <summary>The cases on the busybox base or scratch (seconds each).</summary>
[SupportedOSPlatform("linux")]
public sealed class KanikoSuiteTests(ConformanceEnvironment environment) : KanikoSuiteCaseRunner(environment), IClassFixture<ConformanceEnvironment>
{
    public static IEnumerable<object[]> Cases() => Rows(c => !KanikoCase.PackageCases.Contains(c) && !KanikoCase.UsesDebian(c));

    [Theory]
    [MemberData(nameof(Cases))]
    public Task Builds_Kaniko_s_integration_Dockerfile_like_the_reference(string name) => RunCaseAsync(name);

    [Fact]
    public void Every_case_has_a_BuildKit_golden_or_a_reason_to_have_none()
    {
        var missing = KanikoCase.AllCases().Where(c => !File.Exists(KanikoCase.GoldenPath(c)) && !WithoutGolden.ContainsKey(c)).ToList();
        var stale = WithoutGolden.Keys.Where(c => File.Exists(KanikoCase.GoldenPath(c))).ToList();
        Assert.True(missing.Count == 0, $"no {BuildKitGolden.FileName} for: {string.Join(", ", missing)}; make them with tests/Orchestrator.Tests/Conformance/buildkit/make-goldens.sh --kaniko (docs/kaniko-compat.md)");
        Assert.True(stale.Count == 0, $"these cases have a golden now: take them out of {nameof(WithoutGolden)}: {string.Join(", ", stale)}");
    }
}

/// <summary>The cases on the Debian base that install nothing: a class of their own, so xUnit runs them beside the busybox ones.</summary>
[SupportedOSPlatform("linux")]
public sealed class DebianKanikoSuiteTests(ConformanceEnvironment environment) : KanikoSuiteCaseRunner(environment), IClassFixture<ConformanceEnvironment>
{
    public static IEnumerable<object[]> Cases() => Rows(c => !KanikoCase.PackageCases.Contains(c) && KanikoCase.UsesDebian(c));

    [Theory]
    [MemberData(nameof(Cases))]
    public Task Builds_Kaniko_s_integration_Dockerfile_like_the_reference(string name) => RunCaseAsync(name);
}

/// <summary>The cases that install packages from Debian's archive (minutes each; compared by shape only, as apt-install is).</summary>
[SupportedOSPlatform("linux")]
public sealed class PackageKanikoSuiteTests(ConformanceEnvironment environment) : KanikoSuiteCaseRunner(environment), IClassFixture<ConformanceEnvironment>
{
    public static IEnumerable<object[]> Cases() => Rows(KanikoCase.PackageCases.Contains);

    [Theory]
    [MemberData(nameof(Cases))]
    public Task Builds_Kaniko_s_integration_Dockerfile_like_the_reference(string name) => RunCaseAsync(name);
}
