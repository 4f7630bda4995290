// Snapshot cost of a one-file RUN on rootfs of different sizes: the overlay snapshot (upper
// folder → layer) against the metadata-walk fallback (lstat every path). Prints medians and the
// large/small ratio; the overlay ratio should stay near 1, the walk grows with the file count.
using System.Diagnostics;
using System.Globalization;
using Orchestrator.Execution.Local;
using Orchestrator.Layers;

var sizes = args.Length > 0 ? args.Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray() : [5_000, 50_000];
const int Runs = 7;
var work = Path.Combine(Path.GetTempPath(), $"snapshot-cost-{Environment.ProcessId}");
Directory.CreateDirectory(work);
var writer = new LayerWriter(new LayerWriterOptions { Timestamps = TimestampPolicy.Fixed(DateTimeOffset.UnixEpoch) });
var results = new List<(int Files, double OverlaySnapshot, double OverlayStep, double Walk)>();
try
{
    foreach (var files in sizes)
    {
        var rootfs = Path.Combine(work, $"rootfs-{files}");
        MakeRootfs(rootfs, files);
        var sandbox = new OverlaySandbox();
        var snapshot = new List<double>();
        var step = new List<double>();
        var walk = new List<double>();
        for (var run = 0; run < Runs; run++)
        {
            var stepFolder = Path.Combine(work, $"step-{files}-{run}");
            var upper = Path.Combine(stepFolder, "upper");
            var total = Stopwatch.StartNew();
            var exit = await sandbox.RunAsync(new SandboxRequest([rootfs], upper, ["/bin/sh", "-c", "echo changed > /new-file"]), _ => { }, CancellationToken.None);
            if (exit != 0) throw new InvalidOperationException($"RUN failed with {exit}");
            var snap = Stopwatch.StartNew();
            await writer.WriteOverlayUpperAsync(upper, Path.Combine(stepFolder, "blobs"));
            snap.Stop();
            total.Stop();
            snapshot.Add(snap.Elapsed.TotalMilliseconds);
            step.Add(total.Elapsed.TotalMilliseconds);

            // Fallback: same change on a writable copy of the rootfs, found by walking it.
            var w = Stopwatch.StartNew();
            var before = MetadataSnapshot.Capture(rootfs);
            File.WriteAllText(Path.Combine(rootfs, "new-file"), "changed\n");
            before.WriteChangesAsUpper(Path.Combine(stepFolder, "walk-upper"));
            await writer.WriteOverlayUpperAsync(Path.Combine(stepFolder, "walk-upper"), Path.Combine(stepFolder, "walk-blobs"));
            w.Stop();
            File.Delete(Path.Combine(rootfs, "new-file"));
            walk.Add(w.Elapsed.TotalMilliseconds);
            FolderDeleter.Delete(stepFolder);
        }
        results.Add((files, Median(snapshot), Median(step), Median(walk)));
    }
}
finally
{
    FolderDeleter.Delete(work);
}

Console.WriteLine($"{"rootfs files",12} {"overlay snapshot ms",20} {"overlay RUN+snapshot ms",24} {"metadata walk ms",17}");
foreach (var r in results)
    Console.WriteLine($"{r.Files,12} {r.OverlaySnapshot,20:F2} {r.OverlayStep,24:F2} {r.Walk,17:F2}");
if (results.Count >= 2)
{
    var (small, large) = (results[0], results[^1]);
    Console.WriteLine($"ratio {large.Files / 1000}k/{small.Files / 1000}k: overlay snapshot {large.OverlaySnapshot / small.OverlaySnapshot:F2}x, overlay RUN+snapshot {large.OverlayStep / small.OverlayStep:F2}x, metadata walk {large.Walk / small.Walk:F2}x (goal for the overlay path: <= 1.5x)");
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted[sorted.Count / 2];
}

static void MakeRootfs(string rootfs, int files)
{
    Directory.CreateDirectory(Path.Combine(rootfs, "bin"));
    File.Copy("/bin/busybox", Path.Combine(rootfs, "bin/busybox"));
    File.CreateSymbolicLink(Path.Combine(rootfs, "bin/sh"), "busybox");
    Directory.CreateDirectory(Path.Combine(rootfs, "etc"));
    File.WriteAllText(Path.Combine(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
    var content = new string('x', 200);
    for (var i = 0; i < files; i++)
    {
        var dir = Path.Combine(rootfs, "usr/share/data", (i / 10_000).ToString(CultureInfo.InvariantCulture), ((i / 100) % 100).ToString(CultureInfo.InvariantCulture));
        if (i % 100 == 0) Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, $"file-{i}.txt"), content);
    }
}
