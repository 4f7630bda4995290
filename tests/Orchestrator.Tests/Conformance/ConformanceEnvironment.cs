using Orchestrator.Testing;
using Orchestrator.Testing.BaseImages;

using System.Runtime.Versioning;

namespace Orchestrator.Tests.Conformance;

/// <summary>
/// What every conformance case shares: a real registry holding the two bases (busybox from Debian's
/// busybox-static, Debian bookworm minbase from the cached mmdebstrap tarball), our builder's cache
/// folder and buildah's private storage (its own --root/--runroot, deleted at the end so nothing leaks
/// between runs). The Debian base is published on first use, so busybox-only runs never wait for it.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ConformanceEnvironment : IAsyncLifetime
{
    private readonly RegistryFixture _registry = new();
    private readonly SemaphoreSlim _debianGate = new(1, 1);
    private string? _debian;

    public string Work { get; } = Directory.CreateTempSubdirectory("orchestrator-conformance-").FullName;

    public string Busybox => $"{_registry.Address}/conformance/busybox:1";

    /// <summary>The registry holding the bases, for tests that publish a base of their own next to them.</summary>
    public string RegistryAddress => _registry.Address;

    public string OurCache => Path.Combine(Work, "orchestrator-cache");

    public string BuildahRoot => Path.Combine(Work, "buildah-root");

    public string BuildahRunRoot => Path.Combine(Work, "buildah-runroot");

    public async Task InitializeAsync()
    {
        await _registry.InitializeAsync();
        var tarball = Path.Combine(Work, "busybox.tar.gz");
        await BusyboxLayer.WriteAsync(tarball);
        await BaseImagePublisher.PublishAsync(tarball, Busybox, ["/bin/sh"], Work);
    }

    /// <summary>The Debian base's reference, publishing it (and making the tarball) the first time.</summary>
    public async Task<string> DebianAsync()
    {
        await _debianGate.WaitAsync();
        try
        {
            if (_debian is not null) return _debian;
            var reference = $"{_registry.Address}/conformance/debian:{DebianMinbaseTarball.Suite}";
            await BaseImagePublisher.PublishAsync(await DebianMinbaseTarball.GetAsync(), reference, ["bash"], Work);
            return _debian = reference;
        }
        finally
        {
            _debianGate.Release();
        }
    }

    public async Task DisposeAsync()
    {
        // buildah's storage may hold a container's mount bookkeeping; let it release everything first.
        await ExternalTool.RunAsync("buildah", ["--storage-driver", "vfs", "--root", BuildahRoot, "--runroot", BuildahRunRoot, "rm", "--all"]);
        await _registry.DisposeAsync();
        ConformanceFolders.Delete(Work);
    }
}
