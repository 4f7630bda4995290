namespace Orchestrator.Oci.Registry.Auth;

/// <summary>A token scope: <c>repository:&lt;name&gt;:pull</c> or <c>repository:&lt;name&gt;:pull,push</c>.</summary>
public sealed record RegistryScope(string Repository, bool Push)
{
    /// <summary>Where a request carries the scopes it needs, for the authentication handler.</summary>
    public static readonly HttpRequestOptionsKey<IReadOnlyList<RegistryScope>> OptionKey = new("Orchestrator.RegistryScopes");

    public static RegistryScope Pull(string repository) => new(repository, false);

    public static RegistryScope PushPull(string repository) => new(repository, true);

    public override string ToString() => $"repository:{Repository}:{(Push ? "pull,push" : "pull")}";
}
