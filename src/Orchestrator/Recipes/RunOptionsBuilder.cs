namespace Orchestrator.Recipes;

/// <summary>Fluent options for one RUN step: <c>Run("make", o => o.Network(false).Secret("npmrc", "/root/.npmrc"))</c>.</summary>
public sealed class RunOptionsBuilder
{
    private RunOptions _options = RunOptions.Default;

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

    /// <summary>Keeps <paramref name="path"/> as a persistent cache folder across builds of this recipe.</summary>
    public RunOptionsBuilder CacheMount(string path, string? id = null, string sharing = "shared")
    {
        _options = _options with { CacheMounts = _options.CacheMounts.Add(new CacheMount(path, id, sharing)) };
        return this;
    }

    internal RunOptions Build() => _options;
}
