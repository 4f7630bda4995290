using Orchestrator.Oci.Registry;

namespace Orchestrator.Oci.Tests;

public class RegistryOptionsTests
{
    [Theory]
    [InlineData("localhost:5000", "http")]
    [InlineData("127.0.0.1:5000", "http")]
    [InlineData("127.1.2.3", "http")]
    [InlineData("[::1]:5000", "http")]
    [InlineData("registry.internal:5000", "http")]
    [InlineData("registry.example.com", "https")]
    [InlineData("10.0.0.5:5000", "https")]
    public void Plain_http_only_for_loopback_and_insecure_registries(string registry, string scheme)
    {
        using var client = new RegistryClient(registry, new RegistryClientOptions { InsecureRegistries = ["registry.internal:5000"] });
        Assert.Equal(scheme, client.BaseUri.Scheme);
    }

    [Fact]
    public void Docker_hub_goes_to_registry_1_over_tls()
    {
        using var client = new RegistryClient("docker.io");
        Assert.Equal("https://registry-1.docker.io/", client.BaseUri.ToString());
    }

    [Fact]
    public void A_missing_or_empty_ca_bundle_is_a_clear_error()
    {
        var missing = Assert.Throws<OrchestratorException>(() => new RegistryClient("r.example.com", new RegistryClientOptions { CaBundlePath = "/nonexistent/ca.pem" }));
        Assert.Contains("/nonexistent/ca.pem", missing.Message);
        var empty = Path.GetTempFileName();
        try
        {
            Assert.Contains(empty, Assert.Throws<OrchestratorException>(() => new RegistryClient("r.example.com", new RegistryClientOptions { CaBundlePath = empty })).Message);
        }
        finally
        {
            File.Delete(empty);
        }
    }

    [Fact]
    public void Backoff_grows_and_stays_within_the_bounds()
    {
        var policy = new RetryPolicy(new RetryOptions { MaxAttempts = 10, InitialDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromMilliseconds(1000) });
        for (var i = 0; i < 50; i++)
        {
            var second = policy.DelayBefore(2);
            Assert.InRange(second.TotalMilliseconds, 50, 100);
            var fourth = policy.DelayBefore(4);
            Assert.InRange(fourth.TotalMilliseconds, 200, 400);
            Assert.InRange(policy.DelayBefore(30).TotalMilliseconds, 500, 1000);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => new RetryPolicy(new RetryOptions { MaxAttempts = 0 }));
    }

    [Fact]
    public void Only_transient_failures_are_retried()
    {
        var operation = new RegistryOperation("r", "a", "x");
        Assert.True(RetryPolicy.IsTransient(new RegistryException(operation, System.Net.HttpStatusCode.BadGateway, "m")));
        Assert.True(RetryPolicy.IsTransient(new RegistryException(operation, System.Net.HttpStatusCode.TooManyRequests, "m")));
        Assert.True(RetryPolicy.IsTransient(new HttpRequestException("reset")));
        Assert.True(RetryPolicy.IsTransient(new IOException("connection reset by peer")));
        Assert.False(RetryPolicy.IsTransient(new RegistryException(operation, System.Net.HttpStatusCode.Unauthorized, "m")));
        Assert.False(RetryPolicy.IsTransient(new RegistryException(operation, System.Net.HttpStatusCode.NotFound, "m")));
        Assert.False(RetryPolicy.IsTransient(new OrchestratorException("digest mismatch")));
    }
}

public sealed class PushValidationTests : IDisposable
{
    private readonly TestWorkspace _workspace = new();

    [Fact]
    public async Task A_destination_pinned_to_another_digest_is_refused_before_anything_is_sent()
    {
        var store = new Orchestrator.Oci.Storage.LocalBlobStore(_workspace["store"]);
        var manifest = await Orchestrator.Testing.TestImages.CreateAsync(store, 1, 1_000);
        var other = "sha256:" + new string('0', 64);
        // Nothing listens there: reaching the network would fail differently (and slowly).
        var destination = ImageReference.Parse($"127.0.0.1:{Orchestrator.Testing.FreePort.Next()}/app@{other}");
        using var pool = new RegistryClientPool(new RegistryClientOptions { Retry = RetryOptions.Fast });
        var error = await Assert.ThrowsAsync<OrchestratorException>(() => new Orchestrator.Oci.Images.ImagePusher(pool).PushAsync(manifest, store, [destination]));
        Assert.IsNotType<RegistryException>(error);
        Assert.Contains(other, error.Message);
        Assert.Contains(manifest.Digest.ToString(), error.Message);
    }

    public void Dispose() => _workspace.Dispose();
}
