using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using Orchestrator.Kubernetes.Tests.Emulator;
using Orchestrator.Oci.Registry;
using Orchestrator.Oci.Registry.Auth;
using Orchestrator.Planning;
using Orchestrator.Recipes;
using Orchestrator.Testing;

namespace Orchestrator.Kubernetes.Tests;

/// <summary>
/// A registry with TLS from a private CA and htpasswd auth: the executor trusts it only through
/// <c>--registry-certificate</c> or <c>--skip-tls-verify*</c>; the Kubernetes backend hands the CA to its pods in a
/// ConfigMap and, with <c>--push-secret-from-local</c>, the local credentials in a per-node Secret it deletes afterwards.
/// </summary>
public sealed class RegistryTrustTests(TlsRegistryFixture registry) : IClassFixture<TlsRegistryFixture>, IAsyncLifetime
{
    private static readonly ResourceKind Secrets = ResourceKind.Find("", "v1", "secrets")!;
    private static readonly ResourceKind ConfigMaps = ResourceKind.Find("", "v1", "configmaps")!;

    private readonly string _root = Directory.CreateTempSubdirectory("orchestrator-k8s-trust-").FullName;
    private KubernetesApiEmulator _emulator = null!;
    private IKubernetes _client = null!;

    private string BasicAuth => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AuthenticatedRegistryFixture.User}:{AuthenticatedRegistryFixture.Secret}"));

    public async Task InitializeAsync()
    {
        _emulator = await KubernetesTestEnvironment.StartEmulatorAsync(_root);
        var kubeconfig = _emulator.WriteKubeconfig(Path.Combine(_root, "kubeconfig"), KubernetesTestEnvironment.Namespace);
        _client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _emulator.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>Runs <c>dotnet orchestrate executor</c> as its own process, with a Docker config holding the registry's credentials.</summary>
    private async Task<ToolResult> ExecutorAsync(string tag, params string[] trust)
    {
        var work = Directory.CreateDirectory(Path.Combine(_root, "executor-" + tag)).FullName;
        var context = Directory.CreateDirectory(Path.Combine(work, "context")).FullName;
        await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), "FROM scratch\nCOPY hello.txt /hello.txt\n");
        await File.WriteAllTextAsync(Path.Combine(context, "hello.txt"), "over tls\n");
        var docker = Directory.CreateDirectory(Path.Combine(work, "docker")).FullName;
        await File.WriteAllTextAsync(Path.Combine(docker, "config.json"), new JsonObject { ["auths"] = new JsonObject { [registry.Address] = new JsonObject { ["auth"] = BasicAuth } } }.ToJsonString());
        var temp = Directory.CreateDirectory(Path.Combine(work, "tmp")).FullName;
        return await ExternalTool.RunAsync(Dotnet,
            [KubernetesTestEnvironment.CliDll, "executor", $"--context=dir://{context}", "--dockerfile=Dockerfile", $"--destination={registry.Address}/trust/executor:{tag}",
             "--reproducible", "--cache-dir", Path.Combine(work, "cache"), .. trust],
            TimeSpan.FromMinutes(3),
            environment: new Dictionary<string, string> { ["DOCKER_CONFIG"] = docker, ["TMPDIR"] = temp, ["HOME"] = work });
    }

    [Fact]
    public async Task The_executor_trusts_a_private_ca_only_when_told()
    {
        // Loopback without a certificate is plain HTTP, which a TLS registry refuses.
        var refused = await ExecutorAsync("refused");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains(registry.Address, refused.StandardError);

        // A certificate given for the registry means TLS; a CA that did not sign it is refused, and the message says what to pass.
        var wrongCa = Path.Combine(_root, "other-ca.pem");
        using (var key = System.Security.Cryptography.RSA.Create(2048))
        {
            var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=another CA", key, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
            using var other = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            await File.WriteAllTextAsync(wrongCa, other.ExportCertificatePem());
        }
        var untrusted = await ExecutorAsync("untrusted", "--registry-certificate", $"{registry.Address}={wrongCa}");
        Assert.NotEqual(0, untrusted.ExitCode);
        Assert.True(untrusted.StandardError.Contains($"the TLS certificate of registry {registry.Address} is not trusted", StringComparison.Ordinal), untrusted.StandardError);
        Assert.Contains($"--registry-certificate {registry.Address}=CA.pem", untrusted.StandardError);

        // --skip-tls-verify-pull leaves the registries pushed to verified.
        var pullOnly = await ExecutorAsync("pull-only", "--registry-certificate", $"{registry.Address}={wrongCa}", "--skip-tls-verify-pull");
        Assert.NotEqual(0, pullOnly.ExitCode);
        Assert.Contains("is not trusted", pullOnly.StandardError);

        var withCa = await ExecutorAsync("ca", "--registry-certificate", $"{registry.Address}={registry.CaCertificatePath}");
        Assert.True(withCa.ExitCode == 0, withCa.StandardOutput + withCa.StandardError);

        var skipped = await ExecutorAsync("skip", "--skip-tls-verify");
        Assert.True(skipped.ExitCode == 0, skipped.StandardOutput + skipped.StandardError);

        var skippedRegistry = await ExecutorAsync("skip-registry", $"--skip-tls-verify-registry={registry.Address}");
        Assert.True(skippedRegistry.ExitCode == 0, skippedRegistry.StandardOutput + skippedRegistry.StandardError);

        Assert.Equal(await DigestAsync("ca"), await DigestAsync("skip"));
    }

    [Fact]
    public async Task Pods_get_the_ca_and_the_local_credentials_for_their_registries_and_the_secret_is_deleted_after()
    {
        var context = Directory.CreateDirectory(Path.Combine(_root, "context")).FullName;
        await File.WriteAllTextAsync(Path.Combine(context, "hello.txt"), "behind tls and auth\n");
        var book = new RecipeBook(_root);
        book.Image("trusted").FromScratch().Context(context).Copy("hello.txt", "/hello.txt")
            .CacheRepo($"{registry.Address}/trust/cache").Destination($"{registry.Address}/trust/k8s:1");
        var graph = GraphBuilder.Build(book.Build(), []);
        var manifests = Path.Combine(_root, "manifests");
        var certificates = new Dictionary<string, string> { [registry.Address] = registry.CaCertificatePath };
        var credentials = new StaticCredentialProvider(new Dictionary<string, RegistryCredentials>
        {
            [registry.Address] = RegistryCredentials.FromPassword(AuthenticatedRegistryFixture.User, AuthenticatedRegistryFixture.Secret, "test"),
            ["other.example.com"] = RegistryCredentials.FromPassword("someone", "not-for-this-build", "test"),
        });
        var options = new KubernetesOptions
        {
            ExecutorImage = KubernetesTestEnvironment.ExecutorImage,
            PushSecretFromLocal = true,
            RegistryCertificates = certificates,
            Reproducible = true,
            EmitManifestsDirectory = manifests,
            Registry = new RegistryClientOptions { Credentials = credentials, RegistryCertificates = certificates },
        };
        var observer = new RecordingObserver();
        string secretSeen = "";
        _emulator.Store.Changed += change =>
        {
            if (change.Kind == Secrets && change.Type == "ADDED") secretSeen = change.Object["data"]![".dockerconfigjson"]!.GetValue<string>();
        };
        IReadOnlyDictionary<string, StageResult> results;
        using (var executor = new KubernetesStageExecutor(options, _client, KubernetesTestEnvironment.Namespace))
            results = await new GraphScheduler(executor, 2, observer).RunAsync(graph, CancellationToken.None);

        var inspect = (await ExternalTool.RunAsync("skopeo", "inspect", "--tls-verify=false",
            $"--creds={AuthenticatedRegistryFixture.User}:{AuthenticatedRegistryFixture.Secret}", $"docker://{registry.Address}/trust/k8s:1")).EnsureSuccess();
        using (var json = JsonDocument.Parse(inspect.StandardOutput))
            Assert.Equal(results["trusted"].ManifestDigest, json.RootElement.GetProperty("Digest").GetString());

        // The Secret held exactly this build's registry, and is gone; so is the certificates' ConfigMap.
        var config = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(secretSeen)))!["auths"]!.AsObject();
        Assert.Equal([registry.Address], config.Select(a => a.Key).ToList());
        Assert.Empty(_emulator.Store.List(Secrets, KubernetesTestEnvironment.Namespace).Items);
        Assert.Empty(_emulator.Store.List(ConfigMaps, KubernetesTestEnvironment.Namespace).Items);

        var emitted = Directory.GetFiles(manifests).ToDictionary(f => Path.GetFileName(f), f => File.ReadAllText(f));
        var job = Assert.Single(emitted, e => e.Key.StartsWith("job-", StringComparison.Ordinal)).Value;
        Assert.Contains($"--registry-certificate={registry.Address}=/kaniko/registry-certs/127.0.0.1_{registry.Port}.crt", job);
        Assert.Contains("secretName: orch-", job);
        var map = Assert.Single(emitted, e => e.Key.StartsWith("configmap-", StringComparison.Ordinal)).Value;
        Assert.Contains("BEGIN CERTIFICATE", map);
        foreach (var text in emitted.Values.Append(observer.Text))
        {
            Assert.DoesNotContain(AuthenticatedRegistryFixture.Secret, text);
            Assert.DoesNotContain(BasicAuth, text);
            Assert.DoesNotContain("not-for-this-build", text);
        }
        Assert.Contains($"with credentials for {registry.Address}", observer.Text);
    }

    [Fact]
    public async Task The_per_node_secret_is_deleted_when_the_node_fails_too()
    {
        var book = new RecipeBook(_root);
        book.Image("failing").FromScratch().Run("exit 3").CacheRepo($"{registry.Address}/trust/cache").Destination($"{registry.Address}/trust/failing:1");
        var options = new KubernetesOptions
        {
            ExecutorImage = KubernetesTestEnvironment.ExecutorImage,
            PushSecretFromLocal = true,
            RegistryCertificates = new Dictionary<string, string> { [registry.Address] = registry.CaCertificatePath },
            Registry = new RegistryClientOptions
            {
                Credentials = new StaticCredentialProvider(new Dictionary<string, RegistryCredentials>
                {
                    [registry.Address] = RegistryCredentials.FromPassword(AuthenticatedRegistryFixture.User, AuthenticatedRegistryFixture.Secret, "test"),
                }),
                RegistryCertificates = new Dictionary<string, string> { [registry.Address] = registry.CaCertificatePath },
            },
        };
        var created = 0;
        _emulator.Store.Changed += change => { if (change.Kind == Secrets && change.Type == "ADDED") Interlocked.Increment(ref created); };
        using (var executor = new KubernetesStageExecutor(options, _client, KubernetesTestEnvironment.Namespace))
            await Assert.ThrowsAsync<BuildFailedException>(() => new GraphScheduler(executor, 1).RunAsync(GraphBuilder.Build(book.Build(), []), CancellationToken.None));
        Assert.Equal(1, created);
        Assert.Empty(_emulator.Store.List(Secrets, KubernetesTestEnvironment.Namespace).Items);
    }

    private async Task<string> DigestAsync(string tag)
    {
        var inspect = (await ExternalTool.RunAsync("skopeo", "inspect", "--tls-verify=false",
            $"--creds={AuthenticatedRegistryFixture.User}:{AuthenticatedRegistryFixture.Secret}", $"docker://{registry.Address}/trust/executor:{tag}")).EnsureSuccess();
        using var json = JsonDocument.Parse(inspect.StandardOutput);
        return json.RootElement.GetProperty("Digest").GetString()!;
    }

    private static string Dotnet =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private sealed class RecordingObserver : IBuildObserver
    {
        private readonly StringBuilder _text = new();

        public string Text
        {
            get { lock (_text) return _text.ToString(); }
        }

        public void OnNodeOutput(string node, string line)
        {
            lock (_text) _text.Append('[').Append(node).Append("] ").AppendLine(line);
        }
    }
}
