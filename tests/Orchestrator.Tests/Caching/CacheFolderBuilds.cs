using System.Diagnostics;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Orchestrator.Caching;
using Orchestrator.Cli;
using Orchestrator.Oci;
using Orchestrator.Tests.Conformance;

namespace Orchestrator.Tests.Caching;

/// <summary>
/// Real builds on a busybox base from a real registry for the cache-folder tests: in this process through
/// <see cref="CliApp"/>, or as a child process of the CLI (<c>dotnet dotnet-orchestrate.dll</c>) where a test needs
/// its own environment or must kill it.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed partial class CacheFolderBuilds(ConformanceEnvironment environment, string work)
{
    public record Build(int Code, string Output, string Error, string? Digest);

    /// <summary>An executor (Kaniko-style) build of <paramref name="context"/>'s Dockerfile into an OCI layout.</summary>
    public async Task<Build> ExecutorAsync(string context, string cache, params string[] extra)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var (arguments, digestFile) = ExecutorArguments(context, cache, extra);
        var code = await CliApp.RunAsync(arguments, stdout, stderr);
        return new Build(code, stdout.ToString(), stderr.ToString(), File.Exists(digestFile) ? File.ReadAllText(digestFile).Trim() : null);
    }

    public (string[] Arguments, string DigestFile) ExecutorArguments(string context, string cache, params string[] extra)
    {
        var run = Guid.NewGuid().ToString("N");
        var digestFile = Path.Combine(work, "digest-" + run);
        return ([
            "executor", "-f", "Dockerfile", "-c", context, "--no-push", "--oci-layout-path", Path.Combine(work, "layout-" + run),
            "--digest-file", digestFile, "--cache-dir", cache, "--reproducible", "--cache=true",
            "--build-arg", $"{ConformanceEnvironment.BusyboxArg}={environment.Busybox}", .. extra,
        ], digestFile);
    }

    /// <summary>A build of <c>build.csx</c> (which imports the Dockerfile) with the build command's options.</summary>
    public string[] ScriptArguments(string context, string cache, params string[] extra) =>
    [
        Path.Combine(context, "build.csx"), "--no-push", "--output", Path.Combine(work, "layout-" + Guid.NewGuid().ToString("N")), "--progress", "plain",
        "--cache-dir", cache, "--reproducible", "--build-arg", $"{ConformanceEnvironment.BusyboxArg}={environment.Busybox}", .. extra,
    ];

    public static async Task<Build> ScriptAsync(string[] arguments)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync(arguments, stdout, stderr);
        var digest = Regex.Match(stdout.ToString(), @"^image → .*@(sha256:[0-9a-f]{64})$", RegexOptions.Multiline);
        return new Build(code, stdout.ToString(), stderr.ToString(), digest.Success ? digest.Groups[1].Value : null);
    }

    /// <summary>The CLI as a child process, with the builder kept out of a user namespace as in-process builds are.</summary>
    public static Process StartCli(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "dotnet-orchestrate.dll");
        Assert.True(File.Exists(cli), "the CLI is not next to the tests: " + cli);
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(cli);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["ORCHESTRATOR_USERNS"] = "off";
        start.Environment["CI"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        return Process.Start(start) ?? throw new InvalidOperationException("could not start the CLI");
    }

    /// <summary>
    /// SIGKILL to a process, as the OOM killer or <c>kill -9</c> sends it, then to every process it started (found
    /// before the kill, through their parent ids), so no step of the killed build lingers on the machine.
    /// </summary>
    public static void KillWithDescendants(int pid)
    {
        var parents = new Dictionary<int, int>();
        foreach (var folder in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var id)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(folder, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[id] = int.Parse(fields[1]);
            }
            catch (IOException)
            {
                // ended meanwhile
            }
        }
        var tree = new List<int> { pid };
        for (var i = 0; i < tree.Count; i++)
            tree.AddRange(parents.Where(p => p.Value == tree[i]).Select(p => p.Key));
        foreach (var id in tree) SendKill(id, 9);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int SendKill(int pid, int signal);

    /// <summary>
    /// Every index entry of the cache folder, read as a later build would: each must be whole JSON, and one that
    /// names a layer must have that layer's complete bytes in the blob store (size and SHA-256).
    /// </summary>
    public static IReadOnlyList<(string Path, Digest? Layer)> AssertIndexIsComplete(string cache)
    {
        var entries = new List<(string, Digest?)>();
        var folder = LocalCacheIndex.FolderOf(cache);
        if (!Directory.Exists(folder)) return entries;
        foreach (var entry in Directory.GetFiles(folder))
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(entry));
            var root = json.RootElement;
            Assert.Equal(Path.GetFileNameWithoutExtension(entry), Digest.Parse(root.GetProperty("Key").GetString()!).Hex);
            if (root.GetProperty("LayerDigest").GetString() is not { } layerText)
            {
                entries.Add((entry, null));
                continue;
            }
            var layer = Digest.Parse(layerText);
            var blob = Path.Combine(cache, "blobs", "sha256", layer.Hex);
            Assert.True(File.Exists(blob), $"index entry {entry} names layer blob {layer}, which is not in the blob store");
            var bytes = File.ReadAllBytes(blob);
            Assert.Equal(root.GetProperty("LayerSize").GetInt64(), bytes.LongLength);
            Assert.Equal(layer, Digest.FromHash(SHA256.HashData(bytes)));
            entries.Add((entry, layer));
        }
        return entries;
    }

    /// <summary>The steps whose RUN printed its marker (<c>ran-4</c> is step 4's).</summary>
    public static List<int> RanSteps(string output) => RanMarker().Matches(output).Select(m => int.Parse(m.Groups[1].Value)).ToList();

    public static List<int> CachedSteps(string output) => CachedLine().Matches(output).Select(m => int.Parse(m.Groups[1].Value)).ToList();

    [GeneratedRegex(@"^\[image\] ran-(\d+)", RegexOptions.Multiline)]
    private static partial Regex RanMarker();

    [GeneratedRegex(@"^\[image\] step (\d+)/\d+: CACHED ", RegexOptions.Multiline)]
    private static partial Regex CachedLine();
}
