using System.Runtime.CompilerServices;
using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using Orchestrator.Cli;

namespace Orchestrator.Tests.Conformance;

/// <summary>
/// One of Kaniko's integration Dockerfiles as adapted by <c>Kaniko/adapt.sh</c>, made ready to build in a folder of its
/// own: the context copied from <c>Kaniko/cases/&lt;name&gt;</c> without the files that only steer the test
/// (<c>args</c>, <c>env</c>, the BuildKit golden), the build args naming the bases, and what Kaniko's harness passes
/// for that file: <c>args</c> holds its executor flags one a line (<c>--build-arg=…</c>, <c>--target=…</c>, and flags
/// only an executor takes, such as <c>--single-snapshot</c>); <c>env</c> the environment a <c>--build-arg=NAME</c>
/// without a value reads.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed partial class KanikoCase : IDisposable
{
    public const string ArgsFile = "args", EnvFile = "env";

    /// <summary>Cases that install packages from Debian's archive: minutes each, and what they install follows the archive of the day.</summary>
    public static readonly HashSet<string> PackageCases = ["test_cache_install", "test_issue_2049", "test_issue_2066", "test_issue_684"];

    /// <summary>Files of a case folder that are not part of its build context.</summary>
    private static readonly string[] SteeringFiles = [ArgsFile, EnvFile, BuildKitGolden.FileName];

    private KanikoCase(string name, string folder, IReadOnlyDictionary<string, string> buildArgs, string? target, IReadOnlyList<string> executorFlags, IReadOnlyDictionary<string, string> environment, string finalBase)
    {
        Name = name;
        Folder = folder;
        BuildArgs = buildArgs;
        Target = target;
        ExecutorFlags = executorFlags;
        Environment = environment;
        FinalBase = finalBase;
    }

    public static string CasesDirectory { get; } = Path.Combine(SourceDirectory(), "Kaniko", "cases");

    public static IEnumerable<string> AllCases() =>
        Directory.GetDirectories(CasesDirectory).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);

    /// <summary>Where the case's BuildKit golden is (<see cref="BuildKitGolden"/>, written by make-goldens.sh --kaniko).</summary>
    public static string GoldenPath(string name) => Path.Combine(CasesDirectory, name, BuildKitGolden.FileName);

    /// <summary>Cases whose Dockerfile names the Debian base (slower: a Debian root to unpack and compare).</summary>
    public static bool UsesDebian(string name) => File.ReadAllText(Path.Combine(CasesDirectory, name, "Dockerfile")).Contains(ConformanceEnvironment.DebianArg, StringComparison.Ordinal);

    public string Name { get; }

    public string Folder { get; }

    public string Context => Path.Combine(Folder, "context");

    /// <summary>Every build arg, values resolved (the bases', the harness's, NAME-only ones from <c>env</c>).</summary>
    public IReadOnlyDictionary<string, string> BuildArgs { get; }

    public string? Target { get; }

    /// <summary>Flags of Kaniko's harness other than build args and target: given to our executor only.</summary>
    public IReadOnlyList<string> ExecutorFlags { get; }

    public IReadOnlyDictionary<string, string> Environment { get; }

    /// <summary>What the built stage starts from: <see cref="ConformanceEnvironment.BusyboxArg"/>, <see cref="ConformanceEnvironment.DebianArg"/> or <see cref="ConformanceEnvironment.Scratch"/>.</summary>
    public string FinalBase { get; }

    private IReadOnlyList<string> HarnessBuildArgs { get; init; } = [];

    public static async Task<KanikoCase> PrepareAsync(string name, ConformanceEnvironment environment)
    {
        var source = Path.Combine(CasesDirectory, name);
        var folder = Directory.CreateTempSubdirectory("orchestrator-kaniko-case-").FullName;
        var context = Path.Combine(folder, "context");
        ConformanceFolders.Copy(source, context);
        foreach (var file in SteeringFiles) File.Delete(Path.Combine(context, file));

        var variables = ReadLines(Path.Combine(source, EnvFile)).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        var flags = ReadLines(Path.Combine(source, ArgsFile)).ToList();
        var harnessArgs = flags.Where(f => f.StartsWith("--build-arg=", StringComparison.Ordinal)).Select(f => f["--build-arg=".Length..]).ToList();
        var target = flags.Where(f => f.StartsWith("--target=", StringComparison.Ordinal)).Select(f => f["--target=".Length..]).LastOrDefault();
        var executorFlags = flags.Where(f => !f.StartsWith("--build-arg=", StringComparison.Ordinal) && !f.StartsWith("--target=", StringComparison.Ordinal)).ToList();

        var dockerfile = await File.ReadAllTextAsync(Path.Combine(context, "Dockerfile"));
        var buildArgs = new Dictionary<string, string>(StringComparer.Ordinal) { [ConformanceEnvironment.BusyboxArg] = environment.Busybox };
        if (dockerfile.Contains(ConformanceEnvironment.DebianArg, StringComparison.Ordinal)) buildArgs[ConformanceEnvironment.DebianArg] = await environment.DebianAsync();
        foreach (var arg in harnessArgs)
        {
            var parts = arg.Split('=', 2);
            buildArgs[parts[0]] = parts.Length == 2 ? parts[1]
                : variables.TryGetValue(parts[0], out var value) ? value
                : throw new InvalidOperationException($"{name}: --build-arg={arg} takes its value from the environment, but {EnvFile} has no {parts[0]}");
        }
        return new KanikoCase(name, folder, buildArgs, target, executorFlags, variables, FinalBaseOf(name, dockerfile, buildArgs, target)) { HarnessBuildArgs = harnessArgs };
    }

    /// <summary>
    /// Builds the case with our Kaniko-compatible executor into an OCI layout (tag <c>latest</c>), with the flags Kaniko's
    /// harness passes (a <c>--build-arg=NAME</c> without a value reads the environment, as Kaniko does), and returns its path.
    /// </summary>
    public async Task<string> BuildOursAsync(ConformanceEnvironment environment)
    {
        var layout = Path.Combine(Folder, "ours");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        List<string> arguments = ["executor", "-f", "Dockerfile", "-c", Context, "--no-push", "--oci-layout-path", layout, "--cache-dir", environment.OurCache];
        foreach (var (name, value) in BuildArgs.Where(a => a.Key is ConformanceEnvironment.BusyboxArg or ConformanceEnvironment.DebianArg)) arguments.Add($"--build-arg={name}={value}");
        arguments.AddRange(HarnessBuildArgs.Select(a => "--build-arg=" + a));
        if (Target is not null) arguments.Add("--target=" + Target);
        arguments.AddRange(ExecutorFlags);
        // Names unique to their case (SSH_PRIVATE_KEY): setting them for the whole test process harms no other build.
        foreach (var (name, value) in Environment) System.Environment.SetEnvironmentVariable(name, value);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        var build = CliApp.RunAsync([.. arguments], stdout, stderr, timeout.Token);
        var finished = await Task.WhenAny(build, Task.Delay(TimeSpan.FromMinutes(16)));
        Assert.True(finished == build, $"{Name}: our build did not finish in 15 minutes (a RUN's background process kept it waiting?):\nstdout:\n{stdout}\nstderr:\n{stderr}");
        var code = await build;
        Assert.True(code == ExitCodes.Ok, $"{Name}: our build failed ({code}):\nstdout:\n{stdout}\nstderr:\n{stderr}");
        return layout;
    }

    public void Dispose() => ConformanceFolders.Delete(Folder);

    private static IEnumerable<string> ReadLines(string path) =>
        File.Exists(path) ? File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')) : [];

    /// <summary>
    /// The base the built stage (the target, else the last) starts from, following FROM through stage names and ARGs:
    /// global ARG defaults (quotes removed) and build args are expanded, the bases' build args stand for themselves.
    /// </summary>
    private static string FinalBaseOf(string name, string dockerfile, IReadOnlyDictionary<string, string> buildArgs, string? target)
    {
        var lines = dockerfile.Split('\n');
        // The bases' build args stand for themselves; other build args override the defaults of the ARGs they name.
        var given = buildArgs.ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);
        given[ConformanceEnvironment.BusyboxArg] = "<" + ConformanceEnvironment.BusyboxArg + ">";
        given[ConformanceEnvironment.DebianArg] = "<" + ConformanceEnvironment.DebianArg + ">";
        var globals = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines.TakeWhile(l => !FromLine().IsMatch(l)))
        {
            if (ArgLine().Match(line) is not { Success: true } arg) continue;
            var argName = arg.Groups["name"].Value;
            globals[argName] = given.TryGetValue(argName, out var value) ? value
                : arg.Groups["value"].Success ? Expand(Unquote(arg.Groups["value"].Value), globals) : "";
        }

        var stages = lines.Select(l => FromLine().Match(l)).Where(m => m.Success)
            .Select(m => (Image: Expand(m.Groups["image"].Value, globals), Alias: m.Groups["alias"].Success ? m.Groups["alias"].Value : null)).ToList();
        var index = target is null ? stages.Count - 1 : stages.FindIndex(s => string.Equals(s.Alias, target, StringComparison.OrdinalIgnoreCase));
        for (var hops = 0; index >= 0 && hops < stages.Count; hops++)
        {
            var image = stages[index].Image;
            if (image.Contains($"<{ConformanceEnvironment.BusyboxArg}>", StringComparison.Ordinal)) return ConformanceEnvironment.BusyboxArg;
            if (image.Contains($"<{ConformanceEnvironment.DebianArg}>", StringComparison.Ordinal)) return ConformanceEnvironment.DebianArg;
            if (image == ConformanceEnvironment.Scratch) return ConformanceEnvironment.Scratch;
            var current = index;
            index = stages.FindIndex(0, current, s => string.Equals(s.Alias, image, StringComparison.OrdinalIgnoreCase));
            if (index < 0 && int.TryParse(image, out var number) && number < current) index = number;
        }
        throw new InvalidOperationException($"{name}: cannot tell which base the built stage starts from");
    }

    private static string Expand(string word, IReadOnlyDictionary<string, string> values) =>
        Variable().Replace(word, m => values.TryGetValue(m.Groups["braced"].Success ? m.Groups["braced"].Value : m.Groups["plain"].Value, out var v) ? v : "");

    private static string Unquote(string value) =>
        value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0] ? value[1..^1] : value;

    [GeneratedRegex(@"^\s*FROM\s+(?:--platform=\S+\s+)?(?<image>\S+)(?:\s+AS\s+(?<alias>\S+))?", RegexOptions.IgnoreCase)]
    private static partial Regex FromLine();

    [GeneratedRegex(@"^\s*ARG\s+(?<name>[A-Za-z_][A-Za-z0-9_]*)(?:=(?<value>\S*))?\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex ArgLine();

    [GeneratedRegex(@"\$(?:\{(?<braced>[A-Za-z_][A-Za-z0-9_]*)\}|(?<plain>[A-Za-z_][A-Za-z0-9_]*))")]
    private static partial Regex Variable();

    private static string SourceDirectory([CallerFilePath] string file = "") => Path.GetDirectoryName(file)!;
}
