using System.Runtime.Versioning;

namespace Orchestrator.Tests.Conformance;

/// <summary>
/// Runs one conformance case. Each folder under Cases/ is a build context with a Dockerfile. It is built by our Kaniko-compatible
/// executor (OCI layout output) and by buildah bud; both images are unpacked with umoci and their root
/// filesystems compared file by file, then their runtime config fields. Every difference is reported.
/// Dockerfiles name their base through build args: BUSYBOX (busybox-static base) or DEBIAN (bookworm minbase).
/// Known differences of buildah from Docker are undone on buildah's side only, see <see cref="BuildahQuirks"/>.
/// The same cases are compared with BuildKit's answers by <see cref="BuildKitGoldenCaseRunner"/> (docs/conformance.md).
/// <para>
/// As a non-root user: buildah needs subordinate id ranges for that user in /etc/subuid and /etc/subgid
/// (e.g. <c>usermod --add-subuids 100000-165535 --add-subgids 100000-165535 USER</c>) to unpack and build
/// images whose files belong to other uids (every case here chowns or extracts such files);
/// <c>umoci unpack --rootless</c> keeps those owners in <c>user.rootlesscontainers</c> xattrs, which
/// <see cref="RootfsSnapshot"/> reads. Our builder needs no ranges, but unprivileged it maps only the caller
/// (to root) inside the sandbox, so RUN steps as a non-root USER (user-workdir, user-supplementary-groups)
/// stop with the sandbox's message asking for a root build.
/// </para>
/// </summary>
[SupportedOSPlatform("linux")]
public abstract class ConformanceCaseRunner(ConformanceEnvironment environment)
{
    public static IEnumerable<string> AllCases() => ConformanceCase.AllCases();

    protected async Task RunCaseAsync(string name)
    {
        using var @case = await ConformanceCase.PrepareAsync(name, environment);
        var ours = await @case.BuildOursAsync(environment);
        var theirs = Path.Combine(@case.Folder, "buildah");
        await new BuildahBuilder(environment).BuildAsync(@case.Context, @case.BuildArgs, $"localhost/conformance/{name}:latest", theirs);

        var theirConfig = ImageConfigFields.Read(theirs);
        var ourRootfs = await RootfsSnapshot.UnpackAsync(ours);
        var theirRootfs = BuildahQuirks.WithoutStubs(await RootfsSnapshot.UnpackAsync(theirs), ourRootfs, theirConfig.VolumePaths);
        var ignored = ConformanceCase.VolatileFiles.Concat(BuildahQuirks.CaseIgnores.GetValueOrDefault(name, []));
        var differences = new RootfsComparer(ignored).Compare(theirRootfs, ourRootfs).ToList();
        var comparedConfig = theirConfig.Without(BuildahQuirks.CaseConfigIgnores.GetValueOrDefault(name, []));
        differences.AddRange(comparedConfig.Differences(ImageConfigFields.Read(ours), "buildah", "ours"));
        Assert.True(differences.Count == 0, $"{name}: {RootfsComparer.Report(differences)}");
    }
}

/// <summary>The file-system and config cases on the busybox base (seconds each).</summary>
[SupportedOSPlatform("linux")]
public sealed class ConformanceTests(ConformanceEnvironment environment) : ConformanceCaseRunner(environment), IClassFixture<ConformanceEnvironment>
{
    public static IEnumerable<object[]> Cases() => AllCases().Where(c => !ConformanceCase.PackageCases.Contains(c) && !BuildahQuirks.CannotBuild.ContainsKey(c)).Select(c => new object[] { c });

    [Theory]
    [MemberData(nameof(Cases))]
    public Task Builds_the_same_image_as_buildah(string name) => RunCaseAsync(name);
}

/// <summary>apt-get and npm on the Debian base: a class of their own, so xUnit runs them alongside the fast cases.</summary>
[SupportedOSPlatform("linux")]
public sealed class PackageConformanceTests(ConformanceEnvironment environment) : ConformanceCaseRunner(environment), IClassFixture<ConformanceEnvironment>
{
    public static IEnumerable<object[]> Cases() => ConformanceCase.PackageCases.Order(StringComparer.Ordinal).Select(c => new object[] { c });

    [Theory]
    [MemberData(nameof(Cases))]
    public Task Builds_the_same_image_as_buildah(string name) => RunCaseAsync(name);
}
