using System.Runtime.Versioning;

namespace Orchestrator.Tests.Conformance;

/// <summary>
/// The BuildKit track: every case of Cases/ that has a <c>buildkit.golden.json</c> is built by our executor exactly as
/// the buildah track does (<see cref="ConformanceCase"/>) and compared with what BuildKit v0.11.6 (Docker's own builder,
/// the reference for Dockerfile semantics where buildah and Docker disagree) built from the same context. BuildKit is
/// not needed here: its answers are committed as goldens by <c>Conformance/buildkit/make-goldens.sh</c> (see
/// docs/conformance.md), which runs <see cref="BuildKitGoldenWriter"/> against a BuildKit daemon of its own.
/// <para>
/// The comparison is relative to the base of the final stage: a golden lists what BuildKit's image changed in the
/// base's root filesystem (entries added or different: type, mode, owner, size, SHA-256, link target, hardlink group;
/// paths removed), never mtimes, and our image is reduced the same way against the same base
/// (<see cref="RootfsSnapshot.ChangesFrom"/>). A CI machine whose Debian minbase or busybox-static is newer than the
/// one the goldens were made with still compares cleanly, as long as the build does the same things. Config fields
/// are those of <see cref="ImageConfigFields"/>; volatile files are left out as in the buildah track.
/// </para>
/// <para>
/// apt-install is compared by paths, types, modes and owners only (sizes, hashes and link targets follow the
/// package versions of the day; apt's cached .deb files, named by version, are left out). npm-install has no golden
/// (<see cref="LeftOut"/>).
/// </para>
/// </summary>
[SupportedOSPlatform("linux")]
public abstract class BuildKitGoldenCaseRunner(ConformanceEnvironment environment)
{
    /// <summary>Cases without a BuildKit golden, and why.</summary>
    public static readonly IReadOnlyDictionary<string, string> LeftOut = new Dictionary<string, string>
    {
        ["npm-install"] = "Debian's npm pulls in some 300 node-* packages and npm resolves is-number against the live registry: "
            + "the change set is thousands of files whose names and owners follow both archives, so a golden would only record the day it was made.",
    };

    public static IEnumerable<string> CasesWithGoldens() => ConformanceCase.AllCases().Where(BuildKitGolden.Exists);

    protected async Task CompareWithGoldenAsync(string name)
    {
        var golden = BuildKitGolden.Read(name);
        using var @case = await ConformanceCase.PrepareAsync(name, environment);
        Assert.True(golden.Base == @case.FinalBase, $"{name}: the golden was made on the {golden.Base} base, the Dockerfile's final stage starts from {@case.FinalBase}; run make-goldens.sh again");
        var layout = await @case.BuildOursAsync(environment);
        var differences = await DifferencesAsync(golden, layout, environment);
        Assert.True(differences.Count == 0, $"{name}, changes to the {golden.Base} base: {RootfsComparer.Report(differences)}");
    }

    /// <summary>Every difference between our image (an OCI layout) and a golden: changes to the golden's base, then config fields.</summary>
    internal static async Task<List<string>> DifferencesAsync(BuildKitGolden golden, string layout, ConformanceEnvironment environment)
    {
        var ours = (await RootfsSnapshot.UnpackAsync(layout)).ChangesFrom(await environment.BaseRootfsAsync(golden.Base));
        var expected = golden.Changes;
        if (!golden.ContentCompared) (expected, ours) = (expected.ShapeOnly(), ours.ShapeOnly());
        var differences = BuildKitGolden.Comparer(golden.ContentCompared).Compare(expected, ours, $"buildkit {golden.BuildKit}", "ours").ToList();
        differences.AddRange(golden.Config.Differences(ImageConfigFields.Read(layout), "buildkit", "ours"));
        return differences;
    }
}

/// <summary>The cases that install nothing from the network (seconds each).</summary>
[SupportedOSPlatform("linux")]
public sealed class BuildKitGoldenTests(ConformanceEnvironment environment) : BuildKitGoldenCaseRunner(environment), IClassFixture<ConformanceEnvironment>
{
    public static IEnumerable<object[]> Cases() => CasesWithGoldens().Where(c => !ConformanceCase.PackageCases.Contains(c)).Select(c => new object[] { c });

    [Theory]
    [MemberData(nameof(Cases))]
    public Task Builds_what_BuildKit_built(string name) => CompareWithGoldenAsync(name);

    [Fact]
    public void Every_case_has_a_BuildKit_golden_or_a_reason_to_have_none()
    {
        var missing = ConformanceCase.AllCases().Where(c => !BuildKitGolden.Exists(c) && !LeftOut.ContainsKey(c)).ToList();
        Assert.True(missing.Count == 0, $"no {BuildKitGolden.FileName} for: {string.Join(", ", missing)}; make them with tests/Orchestrator.Tests/Conformance/buildkit/make-goldens.sh (docs/conformance.md)");
    }
}

/// <summary>apt-get on the Debian base (minutes): a class of its own, so xUnit runs it alongside the fast cases.</summary>
[SupportedOSPlatform("linux")]
public sealed class PackageBuildKitGoldenTests(ConformanceEnvironment environment) : BuildKitGoldenCaseRunner(environment), IClassFixture<ConformanceEnvironment>
{
    public static IEnumerable<object[]> Cases() => CasesWithGoldens().Where(ConformanceCase.PackageCases.Contains).Select(c => new object[] { c });

    [Theory]
    [MemberData(nameof(Cases))]
    public Task Builds_what_BuildKit_built(string name) => CompareWithGoldenAsync(name);
}
