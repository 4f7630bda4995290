namespace Orchestrator.Recipes;

/// <summary>A secret file mounted for one RUN step only (BuildKit's <c>--mount=type=secret</c>). Never part of a layer or a cache key.</summary>
public sealed record SecretMount(string Id, string? Target = null, bool Required = false)
{
    /// <summary>Where the secret appears inside the step: the target, or <c>/run/secrets/ID</c> like BuildKit.</summary>
    public string EffectiveTarget => Target ?? "/run/secrets/" + Id;
}

/// <summary>
/// A persistent folder mounted for RUN steps (BuildKit's <c>--mount=type=cache</c>); kept across builds, never in a layer.
/// <see cref="Uid"/>, <see cref="Gid"/> and <see cref="Mode"/> (octal text, <c>0700</c>) are the owner and mode the folder
/// gets when a build first makes it (BuildKit's defaults: 0, 0 and <c>0755</c>); a folder that exists keeps its own.
/// </summary>
public sealed record CacheMount(string Target, string? Id = null, string Sharing = "shared", int? Uid = null, int? Gid = null, string? Mode = null)
{
    /// <summary>Whether owner or mode are given (only then are they part of the step's key, so older keys stay).</summary>
    public bool HasOwnerOrMode => Uid is not null || Gid is not null || Mode is not null;

    /// <summary><see cref="Mode"/> as permission bits, or null when it is not octal up to <c>07777</c>.</summary>
    public static UnixFileMode? ParseMode(string mode) =>
        mode.Length is > 0 and <= 5 && mode.All(c => c is >= '0' and <= '7') && Convert.ToInt32(mode, 8) is var bits && bits <= 0xFFF
            ? (UnixFileMode)bits
            : null;
}

/// <summary>
/// Files bound into one RUN step (BuildKit's <c>--mount=type=bind</c>): <see cref="Source"/> (a file or folder; null: the
/// whole root) out of the build context (<see cref="From"/> null, after <c>.dockerignore</c>), another stage or an image,
/// at <see cref="Target"/>. Read-only unless <see cref="ReadWrite"/>, and then what the step writes there is discarded.
/// Never part of a layer; its content is part of the step's cache key.
/// </summary>
public sealed record BindMount(string Target, string? Source = null, ImageSource? From = null, bool ReadWrite = false);

/// <summary>An empty in-memory folder for one RUN step (BuildKit's <c>--mount=type=tmpfs</c>); <see cref="Size"/> in bytes, null: no limit set.</summary>
public sealed record TmpfsMount(string Target, long? Size = null);

/// <summary>
/// An SSH agent socket forwarded into one RUN step (BuildKit's <c>--mount=type=ssh</c>), given to the build with
/// <c>--ssh ID=SOCKET</c> (<c>default</c> when no id). Never in a layer; keyed by id and target only.
/// </summary>
public sealed record SshMount(string Id = "default", string? Target = null, bool Required = false);

/// <summary>Options of one RUN step: network, secret files, cache folders, bind, tmpfs and SSH mounts.</summary>
public sealed record RunOptions
{
    public static RunOptions Default { get; } = new();

    public bool Network { get; init; } = true;

    public EquatableArray<SecretMount> Secrets { get; init; } = [];

    public EquatableArray<CacheMount> CacheMounts { get; init; } = [];

    public EquatableArray<BindMount> Binds { get; init; } = [];

    public EquatableArray<TmpfsMount> TmpfsMounts { get; init; } = [];

    public EquatableArray<SshMount> SshMounts { get; init; } = [];

    public bool IsDefault => this == Default;

    /// <summary>Where the SSH mount at <paramref name="index"/> appears: its target, or <c>/run/buildkit/ssh_agent.N</c> as in BuildKit.</summary>
    public string SshTarget(int index) => SshMounts[index].Target ?? "/run/buildkit/ssh_agent." + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
