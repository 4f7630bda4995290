namespace Orchestrator.Oci.Registry.Auth;

/// <summary>
/// A user name and password, or an identity (refresh) token. <see cref="ToString"/> never shows the
/// secret, so a credential that lands in a log or message by mistake leaks nothing.
/// </summary>
public sealed record RegistryCredentials(string? Username, string? Password, string? IdentityToken, string Source)
{
    public static RegistryCredentials FromPassword(string username, string password, string source) => new(username, password, null, source);

    public bool HasPassword => Username is not null && Password is not null;

    public override string ToString() => $"credentials for '{Username ?? "<token>"}' from {Source}";
}
