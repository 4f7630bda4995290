using System.Runtime.CompilerServices;
using Orchestrator.Cli;
using Orchestrator.Testing;

using System.Runtime.Versioning;

namespace Orchestrator.Tests.Conformance;

/// <summary>
/// Runs one conformance case. Each folder under Cases/ is a build context with a Dockerfile. It is built by our Kaniko-compatible
/// executor (OCI layout output) and by buildah bud; both images are unpacked with umoci and their root
/// filesystems compared file by file, then their runtime config fields. Every difference is reported.
/// Dockerfiles name their base through build args: BUSYBOX (busybox-static base) or DEBIAN (bookworm minbase).
/// Known differences of buildah from Docker are undone on buildah's side only, see <see cref="BuildahQuirks"/>.
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
public abstract class ConformanceCaseRunner(ConformanceEnvironment environment) : IDisposable
{
    /// <summary>
    /// Files whose content is volatile by nature (timestamps, caches of caches, logs): left out on both sides.
    /// </summary>
    private static readonly string[] VolatileFiles =
    [
        "/var/cache/apt/pkgcache.bin",
        "/var/cache/apt/srcpkgcache.bin",
        "/var/log/**",
        "/var/cache/ldconfig/aux-cache",
    ];

    /// <summary>Cases whose context gets the host's CA bundle as <c>host-ca.crt</c> (TLS to package registries here is re-signed).</summary>
    private static readonly HashSet<string> NeedsHostCa = ["npm-install"];

    private const string HostCaBundle = "/etc/ssl/certs/ca-certificates.crt";

    private readonly string _folder = Directory.CreateTempSubdirectory("orchestrator-conformance-case-").FullName;

    public static string CasesDirectory { get; } = Path.Combine(SourceDirectory(), "Cases");

    /// <summary>Cases that install packages from the network on the Debian base: minutes each, so they run in their own class, in parallel with the rest.</summary>
    public static readonly HashSet<string> PackageCases = ["apt-install", "npm-install"];

    public static IEnumerable<string> AllCases() =>
        Directory.GetDirectories(CasesDirectory).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);

    public void Dispose()
    {
        ConformanceFolders.Delete(_folder);
        GC.SuppressFinalize(this);
    }

    protected async Task RunCaseAsync(string name)
    {
        var context = Path.Combine(_folder, "context");
        ConformanceFolders.Copy(Path.Combine(CasesDirectory, name), context);
        if (NeedsHostCa.Contains(name)) File.Copy(HostCaBundle, Path.Combine(context, "host-ca.crt"));
        var dockerfile = await File.ReadAllTextAsync(Path.Combine(context, "Dockerfile"));
        var buildArgs = new Dictionary<string, string> { ["BUSYBOX"] = environment.Busybox };
        if (dockerfile.Contains("DEBIAN", StringComparison.Ordinal)) buildArgs["DEBIAN"] = await environment.DebianAsync();

        var ours = Path.Combine(_folder, "ours");
        await BuildOursAsync(context, buildArgs, ours);
        var theirs = Path.Combine(_folder, "buildah");
        await new BuildahBuilder(environment).BuildAsync(context, buildArgs, $"localhost/conformance/{name}:latest", theirs);

        var theirConfig = ImageConfigFields.Read(theirs);
        var ourRootfs = await UnpackAsync(ours);
        var theirRootfs = BuildahQuirks.WithoutStubs(await UnpackAsync(theirs), ourRootfs, theirConfig.VolumePaths);
        var differences = new RootfsComparer(VolatileFiles).Compare(theirRootfs, ourRootfs).ToList();
        differences.AddRange(theirConfig.Differences(ImageConfigFields.Read(ours), "buildah", "ours"));
        Assert.True(differences.Count == 0, $"{name}: {RootfsComparer.Report(differences)}");
    }

    private async Task BuildOursAsync(string context, IReadOnlyDictionary<string, string> buildArgs, string layout)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        List<string> arguments = ["executor", "-f", "Dockerfile", "-c", context, "--no-push", "--oci-layout-path", layout, "--cache-dir", environment.OurCache];
        foreach (var (name, value) in buildArgs) arguments.AddRange(["--build-arg", $"{name}={value}"]);
        var code = await CliApp.RunAsync([.. arguments], stdout, stderr);
        Assert.True(code == ExitCodes.Ok, $"our build failed ({code}):\nstdout:\n{stdout}\nstderr:\n{stderr}");
    }

    private async Task<RootfsSnapshot> UnpackAsync(string layout)
    {
        var bundle = layout + "-bundle";
        (await ExternalTool.RunAsync("umoci", ["unpack", "--rootless", "--image", $"{layout}:latest", bundle], TimeSpan.FromMinutes(5))).EnsureSuccess();
        return RootfsSnapshot.Read(Path.Combine(bundle, "rootfs"));
    }

    private static string SourceDirectory([CallerFilePath] string file = "") => Path.GetDirectoryName(file)!;
}

/// <summary>The file-system and config cases on the busybox base (seconds each).</summary>
[SupportedOSPlatform("linux")]
public sealed class ConformanceTests(ConformanceEnvironment environment) : ConformanceCaseRunner(environment), IClassFixture<ConformanceEnvironment>
{
    public static IEnumerable<object[]> Cases() => AllCases().Where(c => !PackageCases.Contains(c)).Select(c => new object[] { c });

    [Theory]
    [MemberData(nameof(Cases))]
    public Task Builds_the_same_image_as_buildah(string name) => RunCaseAsync(name);
}

/// <summary>apt-get and npm on the Debian base: a class of their own, so xUnit runs them alongside the fast cases.</summary>
[SupportedOSPlatform("linux")]
public sealed class PackageConformanceTests(ConformanceEnvironment environment) : ConformanceCaseRunner(environment), IClassFixture<ConformanceEnvironment>
{
    public static IEnumerable<object[]> Cases() => PackageCases.Order(StringComparer.Ordinal).Select(c => new object[] { c });

    [Theory]
    [MemberData(nameof(Cases))]
    public Task Builds_the_same_image_as_buildah(string name) => RunCaseAsync(name);
}
