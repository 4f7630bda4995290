using Orchestrator.Testing;
using Orchestrator.Testing.BaseImages;

using System.Runtime.Versioning;

namespace Orchestrator.Tests.Conformance;

/// <summary>
/// What every conformance case shares: a real registry holding the two bases (busybox from Debian's
/// busybox-static, Debian bookworm minbase from the cached mmdebstrap tarball), our builder's cache
/// folder and buildah's private storage (its own --root/--runroot, deleted at the end so nothing leaks
/// between runs). The Debian base is published on first use, so busybox-only runs never wait for it.
/// The bases' OCI layouts are kept, so a case can be compared relative to its base (<see cref="BaseRootfsAsync"/>).
/// <para>
/// With <c>ORCHESTRATOR_CONFORMANCE_REGISTRY=host:port</c> the bases go to that registry (plain HTTP) instead
/// of one started here: BuildKit's daemon must be told of a registry before it starts (see BuildKitGoldenWriter).
/// </para>
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ConformanceEnvironment : IAsyncLifetime
{
    public const string RegistryVariable = "ORCHESTRATOR_CONFORMANCE_REGISTRY";

    /// <summary>The build args that name the two bases in every case's Dockerfile.</summary>
    public const string BusyboxArg = "BUSYBOX", DebianArg = "DEBIAN";

    /// <summary>The base of a stage built <c>FROM scratch</c>, for <see cref="BaseRootfsAsync"/>: an empty root filesystem.</summary>
    public const string Scratch = "scratch";

    private readonly RegistryFixture? _registry = Environment.GetEnvironmentVariable(RegistryVariable) is { Length: > 0 } ? null : new();
    private readonly string _registryAddress = Environment.GetEnvironmentVariable(RegistryVariable) ?? "";
    private readonly SemaphoreSlim _debianGate = new(1, 1);
    private readonly SemaphoreSlim _rootfsGate = new(1, 1);
    private readonly Dictionary<string, RootfsSnapshot> _baseRootfs = [];
    private string? _debian;

    public string Work { get; } = Directory.CreateTempSubdirectory("orchestrator-conformance-").FullName;

    /// <summary>The registry holding the bases, for tests that publish a base of their own next to them.</summary>
    public string RegistryAddress => _registry?.Address ?? _registryAddress;

    public string Busybox => $"{RegistryAddress}/conformance/busybox:1";

    public string OurCache => Path.Combine(Work, "orchestrator-cache");

    public string BuildahRoot => Path.Combine(Work, "buildah-root");

    public string BuildahRunRoot => Path.Combine(Work, "buildah-runroot");

    private string BaseLayout(string baseArg) => Path.Combine(Work, "bases", baseArg.ToLowerInvariant());

    public async Task InitializeAsync()
    {
        if (_registry is not null) await _registry.InitializeAsync();
        var tarball = Path.Combine(Work, "busybox.tar.gz");
        await BusyboxLayer.WriteAsync(tarball);
        await BaseImagePublisher.WriteLayoutAsync(tarball, BaseLayout(BusyboxArg), ["/bin/sh"], Work);
        await BaseImagePublisher.PushAsync(BaseLayout(BusyboxArg), Busybox);
    }

    /// <summary>The Debian base's reference, publishing it (and making the tarball) the first time.</summary>
    public async Task<string> DebianAsync()
    {
        await _debianGate.WaitAsync();
        try
        {
            if (_debian is not null) return _debian;
            var reference = $"{RegistryAddress}/conformance/debian:{DebianMinbaseTarball.Suite}";
            await BaseImagePublisher.WriteLayoutAsync(await DebianMinbaseTarball.GetAsync(), BaseLayout(DebianArg), ["bash"], Work);
            await BaseImagePublisher.PushAsync(BaseLayout(DebianArg), reference);
            return _debian = reference;
        }
        finally
        {
            _debianGate.Release();
        }
    }

    /// <summary>The root filesystem of a base (<see cref="BusyboxArg"/> or <see cref="DebianArg"/>) as umoci unpacks it, read once; <see cref="Scratch"/> has none.</summary>
    internal async Task<RootfsSnapshot> BaseRootfsAsync(string baseArg)
    {
        if (baseArg == Scratch) return new RootfsSnapshot(new Dictionary<string, RootfsEntry>());
        if (baseArg == DebianArg) await DebianAsync();
        else if (baseArg != BusyboxArg) throw new ArgumentException($"no base is named by the build arg {baseArg}", nameof(baseArg));
        await _rootfsGate.WaitAsync();
        try
        {
            if (!_baseRootfs.TryGetValue(baseArg, out var rootfs))
                _baseRootfs[baseArg] = rootfs = await RootfsSnapshot.UnpackAsync(BaseLayout(baseArg));
            return rootfs;
        }
        finally
        {
            _rootfsGate.Release();
        }
    }

    public async Task DisposeAsync()
    {
        // buildah's storage may hold a container's mount bookkeeping; let it release everything first.
        await ExternalTool.RunAsync("buildah", ["--storage-driver", "vfs", "--root", BuildahRoot, "--runroot", BuildahRunRoot, "rm", "--all"]);
        if (_registry is not null) await _registry.DisposeAsync();
        ConformanceFolders.Delete(Work);
    }
}
