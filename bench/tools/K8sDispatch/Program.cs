// bench/k8s-dispatch.sh: the Kubernetes backend against the in-process API emulator (whose kubelet runs this
// project's executor as processes on this machine: the program given as the second argument, else the tests' build) and a real registry.
//   1. Overhead per node: one trivial node through a Job (create → pod running → digest in the termination message)
//      against the same node built by the local backend; the kubelet's own records split the Job's time.
//   2. Four independent stages as parallel Jobs (--jobs 4) against the sum of their local build times.
// Every build is cold (--no-cache, fresh cache folders).
using System.Diagnostics;
using System.Globalization;
using Orchestrator.Cli;
using Orchestrator.Kubernetes;
using Orchestrator.Kubernetes.Tests;

var runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1;
var env = args.Length > 1 ? new KubernetesTestEnvironment { ExecutorProgram = Path.GetFullPath(args[1]) } : new KubernetesTestEnvironment();
await env.InitializeAsync();
var work = Directory.CreateTempSubdirectory("orchestrator-k8s-bench-").FullName;
try
{
    var repository = $"{env.Registry.Address}/bench";
    var trivial = Write("trivial.csx", $"Image(\"trivial\").From(\"{env.BaseImage}\").Run(\"echo one > /one.txt\").Destination(\"{repository}/trivial:K\");");
    var four = Write("four.csx", string.Concat(Enumerable.Range(1, 4).Select(i =>
        $"Image(\"s{i}\").From(\"{env.BaseImage}\").Run(\"sleep 3 && echo {i} > /n.txt\").Destination(\"{repository}/s{i}:K\");\n")));

    for (var run = 1; run <= runs; run++)
    {
        var k8sTrivial = await TimeAsync(trivial, "kubernetes", $"t{run}");
        var localTrivial = await TimeAsync(trivial, "local", $"t{run}");
        var job = env.Emulator.Kubelet.Runs.Where(r => r.Job.Contains("-trivial", StringComparison.Ordinal)).ToList();
        var executor = job.Where(r => r.Container == JobManifest.ExecutorContainer).Select(r => (r.Finished - r.Started).TotalSeconds).LastOrDefault();
        Console.WriteLine(FormattableString.Invariant($"run {run}: one node: Job {k8sTrivial:F2} s (executor process, context fetch included, {executor:F2} s), local {localTrivial:F2} s, overhead per node {k8sTrivial - localTrivial:F2} s"));

        var began = DateTimeOffset.UtcNow;
        var (ownBefore, childrenBefore) = CpuSeconds();
        var parallel = await TimeAsync(four, "kubernetes", $"p{run}", "--jobs", "4");
        var (ownAfter, childrenAfter) = CpuSeconds();
        var pods = env.Emulator.Kubelet.Runs.Where(r => r.Started >= began && r.Container == JobManifest.ExecutorContainer).ToList();
        Console.WriteLine(FormattableString.Invariant(
            $"run {run}: four Jobs: executors started {(pods.Min(r => r.Started) - began).TotalSeconds:F2}-{(pods.Max(r => r.Started) - began).TotalSeconds:F2} s after the build began, ran {pods.Min(r => (r.Finished - r.Started).TotalSeconds):F2}-{pods.Max(r => (r.Finished - r.Started).TotalSeconds):F2} s each, the last ended {parallel - (pods.Max(r => r.Finished) - began).TotalSeconds:F2} s before the build did; CPU: this process (client, API emulator, kubelet) {ownAfter - ownBefore:F2} s, the executors {childrenAfter - childrenBefore:F2} s"));
        var sum = 0.0;
        for (var i = 1; i <= 4; i++) sum += await TimeAsync(four, "local", $"l{run}-{i}", $"s{i}");
        Console.WriteLine(FormattableString.Invariant($"run {run}: four independent stages: Jobs {parallel:F2} s, sum of local builds {sum:F2} s, ratio {parallel / sum:F2} (goal <= 0.4)"));
    }
}
finally
{
    await env.DisposeAsync();
    Directory.Delete(work, recursive: true);
}

// CPU seconds of this process and of its ended child processes (the pods' executors), from /proc/self/stat.
static (double Own, double Children) CpuSeconds()
{
    var fields = File.ReadAllText("/proc/self/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
    double Ticks(int field) => double.Parse(fields[field - 3], CultureInfo.InvariantCulture) / 100.0;
    return (Ticks(14) + Ticks(15), Ticks(16) + Ticks(17));
}

string Write(string name, string text)
{
    var path = Path.Combine(work, name);
    File.WriteAllText(path, text);
    return path;
}

async Task<double> TimeAsync(string script, string backend, string tag, params string[] more)
{
    var text = File.ReadAllText(script).Replace(":K\"", $":{tag}\"", StringComparison.Ordinal);
    var copy = Path.Combine(work, $"{Path.GetFileNameWithoutExtension(script)}-{tag}.csx");
    File.WriteAllText(copy, text);
    string[] common = [copy, "--no-cache", "--reproducible", "--progress", "plain", "--cache-dir", Path.Combine(work, "cache-" + tag + backend), "--backend", backend];
    string[] kubernetes = backend == "kubernetes" ? ["--kubeconfig", env.Kubeconfig, "--executor-image", KubernetesTestEnvironment.ExecutorImage] : [];
    var clock = Stopwatch.StartNew();
    var (code, output, errors) = await KubernetesTestEnvironment.OrchestrateAsync([.. common, .. kubernetes, .. more]);
    var seconds = clock.Elapsed.TotalSeconds;
    if (code != ExitCodes.Ok) throw new InvalidOperationException($"{backend} build of {copy} failed:\n{output}\n{errors}");
    return seconds;
}
