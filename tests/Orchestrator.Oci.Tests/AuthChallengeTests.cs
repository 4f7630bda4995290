using Orchestrator.Oci.Registry.Auth;

namespace Orchestrator.Oci.Tests;

public class AuthChallengeTests
{
    [Fact]
    public void Parses_a_bearer_challenge()
    {
        var challenge = AuthChallenge.Parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/busybox:pull\"")!;
        Assert.True(challenge.IsBearer);
        Assert.Equal("https://auth.docker.io/token", challenge.Realm);
        Assert.Equal("registry.docker.io", challenge.Service);
        Assert.Equal("repository:library/busybox:pull", challenge.Scope);
    }

    [Fact]
    public void Quoted_values_may_hold_commas_and_escaped_quotes()
    {
        var challenge = AuthChallenge.Parse("Bearer realm=\"https://r/t?a=1,b=2\", scope=\"repository:a:pull,push repository:b:pull\", error=\"say \\\"hi\\\"\"")!;
        Assert.Equal("https://r/t?a=1,b=2", challenge.Realm);
        Assert.Equal("repository:a:pull,push repository:b:pull", challenge.Scope);
        Assert.Equal("say \"hi\"", challenge.Parameters["error"]);
    }

    [Fact]
    public void Parses_basic_with_unquoted_tokens_and_any_case()
    {
        var challenge = AuthChallenge.Parse("basic REALM=registry")!;
        Assert.True(challenge.IsBasic);
        Assert.Equal("registry", challenge.Realm);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("realm=x")]
    [InlineData("Bearer realm=\"unterminated")]
    public void Rejects_what_is_not_a_challenge(string? header) => Assert.Null(AuthChallenge.Parse(header));

    [Fact]
    public void Scopes_render_pull_and_push()
    {
        Assert.Equal("repository:team/app:pull", RegistryScope.Pull("team/app").ToString());
        Assert.Equal("repository:team/app:pull,push", RegistryScope.PushPull("team/app").ToString());
    }

    [Fact]
    public void Credentials_never_print_their_secret()
    {
        var credentials = RegistryCredentials.FromPassword("user", "hunter2-secret", "config.json");
        Assert.DoesNotContain("hunter2-secret", credentials.ToString());
        Assert.Contains("user", credentials.ToString());
        Assert.DoesNotContain("tok-secret", new RegistryCredentials(null, null, "tok-secret", "helper").ToString());
    }
}
