namespace Orchestrator.Testing;

/// <summary>The real registry behind htpasswd Basic auth (bcrypt entry made by <c>htpasswd -Bbn</c>).</summary>
public sealed class AuthenticatedRegistryFixture : RegistryFixture
{
    public const string User = "builder";

    // A throwaway password for a loopback registry that lives for one test run.
    public const string Secret = "s3cret-Pa55-for-tests";

    public AuthenticatedRegistryFixture() : base(User, Secret) { }
}
