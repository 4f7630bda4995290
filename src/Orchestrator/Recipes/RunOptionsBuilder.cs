namespace Orchestrator.Recipes;

/// <summary>Fluent options for one RUN step: <c>Run("make", o => o.Network(false).Secret("npmrc", "/root/.npmrc"))</c>.</summary>
public sealed class RunOptionsBuilder
{
    private readonly string _baseDirectory;
    private RunOptions _options = RunOptions.Default;

    public RunOptionsBuilder() : this(Directory.GetCurrentDirectory())
    {
    }

    internal RunOptionsBuilder(string baseDirectory) => _baseDirectory = baseDirectory;

    public RunOptionsBuilder Network(bool enabled)
    {
        _options = _options with { Network = enabled };
        return this;
    }

    /// <summary>Mounts secret <paramref name="id"/> (given with <c>--secret id=…,src=…</c>) at <paramref name="target"/> for this step only.</summary>
    public RunOptionsBuilder Secret(string id, string? target = null, bool required = false)
    {
        _options = _options with { Secrets = _options.Secrets.Add(new SecretMount(id, target, required)) };
        return this;
    }

    /// <summary>
    /// Keeps <paramref name="path"/> as a persistent cache folder across builds of this recipe. <paramref name="uid"/>,
    /// <paramref name="gid"/> and <paramref name="mode"/> (octal, <c>"0700"</c>) are the folder's owner and mode when it is
    /// first made, for steps that run as another user (<c>--mount=type=cache,uid=1000</c>).
    /// </summary>
    public RunOptionsBuilder CacheMount(string path, string? id = null, string sharing = "shared", int? uid = null, int? gid = null, string? mode = null)
    {
        _options = _options with { CacheMounts = _options.CacheMounts.Add(new CacheMount(path, id, sharing, uid, gid, mode)) };
        return this;
    }

    /// <summary>
    /// Binds <paramref name="source"/> of the build context (after <c>.dockerignore</c>; <c>"."</c> for all of it) at
    /// <paramref name="target"/> for this step only: <c>Run("go build", o => o.Bind(".", "."))</c>. Read-only unless
    /// <paramref name="readWrite"/>; what the step writes there is discarded, and nothing of it reaches the layer.
    /// </summary>
    public RunOptionsBuilder Bind(string source, string target, bool readWrite = false) =>
        AddBind(new BindMount(target, source, null, readWrite));

    /// <summary>Binds <paramref name="source"/> out of another stage's result at <paramref name="target"/> for this step only.</summary>
    public RunOptionsBuilder Bind(string source, string target, RecipeBuilder from, bool readWrite = false) =>
        AddBind(new BindMount(target, source, new ImageSource.Stage(from.Name), readWrite));

    /// <summary>Binds <paramref name="source"/> out of an image (<c>oci:PATH[:TAG]</c>: an OCI layout) at <paramref name="target"/> for this step only.</summary>
    public RunOptionsBuilder Bind(string source, string target, string from, bool readWrite = false) =>
        AddBind(new BindMount(target, source, ImageSource.Layout.IsLayoutText(from) ? ImageSource.Layout.Parse(from, _baseDirectory) : new ImageSource.Registry(from), readWrite));

    /// <summary>An empty in-memory folder at <paramref name="target"/> for this step only, at most <paramref name="sizeBytes"/> large.</summary>
    public RunOptionsBuilder Tmpfs(string target, long? sizeBytes = null)
    {
        _options = _options with { TmpfsMounts = _options.TmpfsMounts.Add(new TmpfsMount(target, sizeBytes)) };
        return this;
    }

    /// <summary>
    /// Forwards the SSH agent given with <c>--ssh ID=SOCKET</c> (<c>--ssh default</c>: <c>$SSH_AUTH_SOCK</c>) into this step;
    /// the first one is <c>SSH_AUTH_SOCK</c> there.
    /// </summary>
    public RunOptionsBuilder Ssh(string id = "default", string? target = null, bool required = false)
    {
        _options = _options with { SshMounts = _options.SshMounts.Add(new SshMount(id, target, required)) };
        return this;
    }

    private RunOptionsBuilder AddBind(BindMount bind)
    {
        _options = _options with { Binds = _options.Binds.Add(bind) };
        return this;
    }

    internal RunOptions Build() => _options;
}
