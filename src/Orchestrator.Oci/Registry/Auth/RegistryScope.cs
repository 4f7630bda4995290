namespace Orchestrator.Oci.Registry.Auth;

/// <summary>A token scope: <c>repository:&lt;name&gt;:pull</c>, <c>repository:&lt;name&gt;:pull,push</c> or <c>repository:&lt;name&gt;:delete</c>.</summary>
public sealed record RegistryScope(string Repository, bool Push)
{
    /// <summary>Where a request carries the scopes it needs, for the authentication handler.</summary>
    public static readonly HttpRequestOptionsKey<IReadOnlyList<RegistryScope>> OptionKey = new("Orchestrator.RegistryScopes");

    public static RegistryScope Pull(string repository) => new(repository, false);

    public static RegistryScope PushPull(string repository) => new(repository, true);

    /// <summary>The right to delete manifests (distribution's token servers grant it separately from push).</summary>
    public static RegistryScope Deletion(string repository) => new(repository, false) { Delete = true };

    public bool Delete { get; init; }

    public override string ToString() => $"repository:{Repository}:{(Delete ? "delete" : Push ? "pull,push" : "pull")}";
}
