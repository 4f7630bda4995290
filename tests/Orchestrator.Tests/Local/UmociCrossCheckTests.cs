using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Orchestrator.Execution.Local;
using Orchestrator.Layers;
using Orchestrator.Oci;
using Orchestrator.Tests.Layers;

namespace Orchestrator.Tests.Local;

/// <summary>
/// A layer produced by a sandboxed RUN, stacked on the busybox base in a hand-made OCI layout and
/// unpacked by umoci (an implementation nobody here wrote): the root filesystem must show the
/// step's file and its deletion.
/// </summary>
public sealed class UmociCrossCheckTests(BusyboxStoreFixture busybox) : IClassFixture<BusyboxStoreFixture>
{
    [Fact]
    public async Task Umoci_unpacks_the_base_plus_the_produced_layer_to_the_expected_rootfs()
    {
        var upper = Path.Combine(busybox.NewStepFolder(), "upper");
        var exit = await new OverlaySandbox().RunAsync(
            new SandboxRequest([busybox.BaseLayer], upper, ["/bin/sh", "-c", "echo hi > /a; rm /etc/group; mkdir -p /opt/tool && ln -s ../../a /opt/tool/link && chmod 4755 /a"]),
            _ => { }, CancellationToken.None);
        Assert.Equal(0, exit);

        var layout = busybox.NewStepFolder();
        var blobs = Path.Combine(layout, "blobs", "sha256");
        var produced = await new LayerWriter(new() { Timestamps = TimestampPolicy.Fixed(DateTimeOffset.UnixEpoch) }).WriteOverlayUpperAsync(upper, blobs);
        var baseBytes = await File.ReadAllBytesAsync(busybox.BaseBlob);
        var baseDigest = await Store(blobs, baseBytes);

        var config = JsonSerializer.SerializeToUtf8Bytes(new
        {
            architecture = "amd64",
            os = "linux",
            config = new { },
            rootfs = new { type = "layers", diff_ids = new[] { busybox.BaseDiffId.ToString(), produced.DiffId.ToString() } },
        });
        var configDigest = await Store(blobs, config);
        var manifest = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = "application/vnd.oci.image.manifest.v1+json",
            config = new { mediaType = "application/vnd.oci.image.config.v1+json", digest = configDigest.ToString(), size = config.Length },
            layers = new[]
            {
                new { mediaType = "application/vnd.oci.image.layer.v1.tar+gzip", digest = baseDigest.ToString(), size = (long)baseBytes.Length },
                new { mediaType = produced.MediaType, digest = produced.Digest.ToString(), size = produced.Size },
            },
        });
        var manifestDigest = await Store(blobs, manifest);
        await File.WriteAllTextAsync(Path.Combine(layout, "oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        await File.WriteAllBytesAsync(Path.Combine(layout, "index.json"), JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            manifests = new[] { new { mediaType = "application/vnd.oci.image.manifest.v1+json", digest = manifestDigest.ToString(), size = manifest.Length, annotations = new Dictionary<string, string> { ["org.opencontainers.image.ref.name"] = "test" } } },
        }));

        var bundle = Path.Combine(busybox.NewStepFolder(), "bundle");
        await Umoci(["unpack", .. Stat.IsRoot ? Array.Empty<string>() : ["--rootless"], "--image", layout + ":test", bundle]);

        var rootfs = Path.Combine(bundle, "rootfs");
        Assert.Equal("hi\n", await File.ReadAllTextAsync(Path.Combine(rootfs, "a")));
        Assert.Equal(0x9EDu, Stat.Mode(Path.Combine(rootfs, "a"))); // 04755
        Assert.False(File.Exists(Path.Combine(rootfs, "etc/group")));
        Assert.True(File.Exists(Path.Combine(rootfs, "etc/passwd")));
        Assert.Equal("../../a", new FileInfo(Path.Combine(rootfs, "opt/tool/link")).LinkTarget);
        Assert.True(File.Exists(Path.Combine(rootfs, "bin/busybox")));
        FolderDeleter.Delete(bundle);
    }

    private static async Task<Digest> Store(string blobs, byte[] content)
    {
        var digest = Digest.FromHash(SHA256.HashData(content));
        await File.WriteAllBytesAsync(Path.Combine(blobs, digest.Hex), content);
        return digest;
    }

    private static async Task Umoci(string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo("umoci", args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, "umoci failed: " + stderr);
    }
}
