using System.Text;
using Orchestrator.Oci.Images;
using Orchestrator.Oci.Registry;
using Orchestrator.Oci.Registry.Auth;
using Orchestrator.Oci.Storage;
using Orchestrator.Testing;

namespace Orchestrator.Oci.Tests;

/// <summary>Basic auth against the real registry's htpasswd; Bearer tokens through the token gate.</summary>
public sealed class AuthenticationTests(AuthenticatedRegistryFixture registry) : IClassFixture<AuthenticatedRegistryFixture>, IDisposable
{
    private readonly TestWorkspace _workspace = new();

    private RegistryClientPool PoolWithConfig(string user, string password, string? registryKey = null)
    {
        var config = _workspace["config.json"];
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password));
        File.WriteAllText(config, $"{{\"auths\":{{\"{registryKey ?? "http://" + registry.Address}\":{{\"auth\":\"{auth}\"}}}}}}");
        return new RegistryClientPool(new RegistryClientOptions { Retry = RetryOptions.Fast, Credentials = new DockerConfigCredentialProvider(config) });
    }

    private ImageReference Ref(string repositoryAndTag) => ImageReference.Parse($"{registry.Address}/{repositoryAndTag}");

    [Fact]
    public async Task Basic_credentials_from_config_json_push_and_pull()
    {
        var store = new LocalBlobStore(_workspace["store"]);
        var manifest = await TestImages.CreateAsync(store, 2, 20_000, seed: 61);
        using var pool = PoolWithConfig(AuthenticatedRegistryFixture.User, AuthenticatedRegistryFixture.Secret);
        await pool.For(registry.Address).PingAsync();
        await new ImagePusher(pool).PushAsync(manifest, store, [Ref("secure/app:1")]);
        var pulled = await new ImagePuller(pool).PullAsync(Ref("secure/app:1"), new LocalBlobStore(_workspace["pulled"]));
        Assert.Equal(manifest.Digest, pulled.Manifest.Digest);

        var creds = $"--creds={AuthenticatedRegistryFixture.User}:{AuthenticatedRegistryFixture.Secret}";
        var inspected = (await ExternalTool.RunAsync("skopeo", "inspect", "--tls-verify=false", creds, $"docker://{registry.Address}/secure/app:1")).EnsureSuccess();
        Assert.Contains(manifest.Digest.ToString(), inspected.StandardOutput);
    }

    [Fact]
    public async Task Wrong_password_names_the_registry_and_never_the_secret()
    {
        const string wrong = "definitely-Wrong-pa55word";
        using var pool = PoolWithConfig(AuthenticatedRegistryFixture.User, wrong);
        var error = await Assert.ThrowsAsync<RegistryException>(() => pool.For(registry.Address).GetManifestAsync("secure/app", "1"));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Contains(registry.Address, error.Message);
        Assert.Contains("secure/app", error.Message);
        Assert.Contains("401", error.Message);
        Assert.Contains("docker login", error.Message);
        var everything = error.ToString();
        Assert.DoesNotContain(wrong, everything);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(AuthenticatedRegistryFixture.User + ":" + wrong)), everything);
    }

    [Fact]
    public async Task Anonymous_access_to_a_protected_registry_fails_clearly()
    {
        using var pool = new RegistryClientPool(new RegistryClientOptions { Retry = RetryOptions.Fast });
        var error = await Assert.ThrowsAsync<RegistryException>(() => pool.For(registry.Address).PingAsync());
        Assert.Contains(registry.Address, error.Message);
        Assert.Contains("401", error.Message);
    }

    public void Dispose() => _workspace.Dispose();
}

public sealed class BearerTokenTests(RegistryFixture registry) : IClassFixture<RegistryFixture>, IDisposable
{
    private readonly TestWorkspace _workspace = new();

    [Fact]
    public async Task Fetches_scoped_tokens_caches_them_and_pushes_and_pulls()
    {
        await using var proxy = new FaultInjectingProxy(registry.Address) { BearerGate = new BearerTokenGate("robot", "tok3n-pass") };
        var credentials = new StaticCredentialProvider(new Dictionary<string, RegistryCredentials>
        {
            [proxy.Address] = RegistryCredentials.FromPassword("robot", "tok3n-pass", "test"),
        });
        using var pool = new RegistryClientPool(new RegistryClientOptions { Retry = RetryOptions.Fast, Credentials = credentials });
        var store = new LocalBlobStore(_workspace["store"]);
        var manifest = await TestImages.CreateAsync(store, 3, 10_000, seed: 71);

        await new ImagePusher(pool).PushAsync(manifest, store, [ImageReference.Parse($"{proxy.Address}/bearer/app:1")]);
        var pulled = await new ImagePuller(pool).PullAsync(ImageReference.Parse($"{proxy.Address}/bearer/app:1"), new LocalBlobStore(_workspace["pulled"]));
        Assert.Equal(manifest.Digest, pulled.Manifest.Digest);

        var scopes = proxy.BearerGate!.RequestedScopes;
        Assert.Contains("repository:bearer/app:pull,push", scopes);
        Assert.Contains("repository:bearer/app:pull", scopes);
        // One token per scope set, reused across every blob and manifest request.
        Assert.Equal(2, pool.For(proxy.Address).Authentication.TokenRequests);
    }

    [Fact]
    public async Task A_token_service_refusing_the_login_is_reported_without_the_secret()
    {
        await using var proxy = new FaultInjectingProxy(registry.Address) { BearerGate = new BearerTokenGate("robot", "right-pass") };
        var credentials = new StaticCredentialProvider(new Dictionary<string, RegistryCredentials>
        {
            [proxy.Address] = RegistryCredentials.FromPassword("robot", "wrong-secret-xyz", "test"),
        });
        using var pool = new RegistryClientPool(new RegistryClientOptions { Retry = RetryOptions.Fast, Credentials = credentials });
        var error = await Assert.ThrowsAsync<OrchestratorException>(() => pool.For(proxy.Address).GetManifestAsync("bearer/app", "1"));
        Assert.Contains(proxy.Address, error.Message);
        Assert.Contains("token service", error.Message);
        Assert.DoesNotContain("wrong-secret-xyz", error.ToString());
    }

    [Fact]
    public async Task An_identity_token_is_exchanged_with_the_oauth2_refresh_grant()
    {
        await using var proxy = new FaultInjectingProxy(registry.Address) { BearerGate = new BearerTokenGate(null, null, refreshToken: "identity-XYZ") };
        var credentials = new StaticCredentialProvider(new Dictionary<string, RegistryCredentials>
        {
            [proxy.Address] = new RegistryCredentials(null, null, "identity-XYZ", "test"),
        });
        using var pool = new RegistryClientPool(new RegistryClientOptions { Retry = RetryOptions.Fast, Credentials = credentials });
        var store = new LocalBlobStore(_workspace["store"]);
        var manifest = await TestImages.CreateAsync(store, 1, 5_000, seed: 72);
        await new ImagePusher(pool).PushAsync(manifest, store, [ImageReference.Parse($"{proxy.Address}/oauth/app:1")]);
        Assert.Equal(manifest.Digest, (await pool.For(proxy.Address).HeadManifestAsync("oauth/app", "1"))!.Digest);
        Assert.Contains("repository:oauth/app:pull,push", proxy.BearerGate!.RequestedScopes);
    }

    public void Dispose() => _workspace.Dispose();
}
