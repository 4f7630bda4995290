using System.Runtime.CompilerServices;
using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using Orchestrator.Cli;

namespace Orchestrator.Tests.Conformance;

/// <summary>
/// One case of Cases/ made ready to build, in a folder of its own: the context copied from Cases/&lt;name&gt; (without
/// the committed BuildKit golden, with the host's CA bundle where the case needs it), the build args naming the bases,
/// and the base its final stage starts from. Every track (buildah, BuildKit goldens) builds a case from here.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed partial class ConformanceCase : IDisposable
{
    /// <summary>
    /// Files whose content is volatile by nature (timestamps, caches of caches, logs): left out on both sides.
    /// </summary>
    public static readonly string[] VolatileFiles =
    [
        "/var/cache/apt/pkgcache.bin",
        "/var/cache/apt/srcpkgcache.bin",
        "/var/log/**",
        "/var/cache/ldconfig/aux-cache",
    ];

    /// <summary>Cases that install packages from the network on the Debian base: minutes each, and what they install follows the archive of the day.</summary>
    public static readonly HashSet<string> PackageCases = ["apt-install", "npm-install"];

    /// <summary>Cases whose context gets the host's CA bundle as <c>host-ca.crt</c> (TLS to package registries here is re-signed).</summary>
    private static readonly HashSet<string> NeedsHostCa = ["npm-install"];

    private const string HostCaBundle = "/etc/ssl/certs/ca-certificates.crt";

    private ConformanceCase(string name, string folder, IReadOnlyDictionary<string, string> buildArgs, string finalBase)
    {
        Name = name;
        Folder = folder;
        BuildArgs = buildArgs;
        FinalBase = finalBase;
    }

    public static string CasesDirectory { get; } = Path.Combine(SourceDirectory(), "Cases");

    public static IEnumerable<string> AllCases() =>
        Directory.GetDirectories(CasesDirectory).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);

    public string Name { get; }

    public string Folder { get; }

    public string Context => Path.Combine(Folder, "context");

    public IReadOnlyDictionary<string, string> BuildArgs { get; }

    /// <summary>The build arg naming the base of the final stage (the image): <see cref="ConformanceEnvironment.BusyboxArg"/> or <see cref="ConformanceEnvironment.DebianArg"/>.</summary>
    public string FinalBase { get; }

    public static async Task<ConformanceCase> PrepareAsync(string name, ConformanceEnvironment environment)
    {
        var folder = Directory.CreateTempSubdirectory("orchestrator-conformance-case-").FullName;
        var context = Path.Combine(folder, "context");
        ConformanceFolders.Copy(Path.Combine(CasesDirectory, name), context);
        File.Delete(Path.Combine(context, BuildKitGolden.FileName));
        if (NeedsHostCa.Contains(name)) File.Copy(HostCaBundle, Path.Combine(context, "host-ca.crt"));
        var dockerfile = await File.ReadAllTextAsync(Path.Combine(context, "Dockerfile"));
        var buildArgs = new Dictionary<string, string> { [ConformanceEnvironment.BusyboxArg] = environment.Busybox };
        if (dockerfile.Contains(ConformanceEnvironment.DebianArg, StringComparison.Ordinal)) buildArgs[ConformanceEnvironment.DebianArg] = await environment.DebianAsync();
        return new ConformanceCase(name, folder, buildArgs, FinalBaseOf(name, dockerfile));
    }

    /// <summary>Builds the case with our Kaniko-compatible executor into an OCI layout (tag <c>latest</c>) and returns its path.</summary>
    public async Task<string> BuildOursAsync(ConformanceEnvironment environment)
    {
        var layout = Path.Combine(Folder, "ours");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        List<string> arguments = ["executor", "-f", "Dockerfile", "-c", Context, "--no-push", "--oci-layout-path", layout, "--cache-dir", environment.OurCache];
        foreach (var (name, value) in BuildArgs) arguments.AddRange(["--build-arg", $"{name}={value}"]);
        var code = await CliApp.RunAsync([.. arguments], stdout, stderr);
        Assert.True(code == ExitCodes.Ok, $"our build failed ({code}):\nstdout:\n{stdout}\nstderr:\n{stderr}");
        return layout;
    }

    public void Dispose() => ConformanceFolders.Delete(Folder);

    /// <summary>
    /// The base the final stage starts from: every case names its bases as <c>FROM ${BUSYBOX}</c> or <c>FROM ${DEBIAN}</c>,
    /// and a stage built FROM an earlier stage (by its AS name) has that stage's base.
    /// </summary>
    private static string FinalBaseOf(string name, string dockerfile)
    {
        var stages = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? last = null;
        foreach (Match from in FromLine().Matches(dockerfile))
        {
            var image = from.Groups["image"].Value;
            last = stages.TryGetValue(image, out var stageBase) ? stageBase : image.Trim('$', '{', '}');
            if (from.Groups["stage"].Success) stages[from.Groups["stage"].Value] = last;
        }
        return last is ConformanceEnvironment.BusyboxArg or ConformanceEnvironment.DebianArg
            ? last
            : throw new InvalidOperationException($"{name}: the final stage must start from ${{{ConformanceEnvironment.BusyboxArg}}}, ${{{ConformanceEnvironment.DebianArg}}} or a stage that does, not '{last}'");
    }

    [GeneratedRegex(@"^\s*FROM\s+(?:--platform=\S+\s+)?(?<image>\S+)(?:\s+AS\s+(?<stage>\S+))?", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex FromLine();

    private static string SourceDirectory([CallerFilePath] string file = "") => Path.GetDirectoryName(file)!;
}
