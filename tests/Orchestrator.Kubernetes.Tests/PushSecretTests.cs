using System.Text.Json;
using k8s;
using Orchestrator.Kubernetes.Tests.Emulator;
using Orchestrator.Oci.Registry;
using Orchestrator.Oci.Registry.Auth;
using Orchestrator.Planning;
using Orchestrator.Recipes;
using Orchestrator.Testing;

namespace Orchestrator.Kubernetes.Tests;

/// <summary>
/// A registry behind htpasswd auth: the pods reach it only with the dockerconfigjson Secret mounted at
/// /kaniko/.docker/config.json, and nothing the build prints or emits carries the secret's value.
/// </summary>
public sealed class PushSecretTests(AuthenticatedRegistryFixture registry) : IClassFixture<AuthenticatedRegistryFixture>, IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("orchestrator-k8s-secret-").FullName;
    private KubernetesApiEmulator _emulator = null!;
    private IKubernetes _client = null!;

    public async Task InitializeAsync()
    {
        _emulator = await KubernetesTestEnvironment.StartEmulatorAsync(_root);
        var kubeconfig = _emulator.WriteKubeconfig(Path.Combine(_root, "kubeconfig"), KubernetesTestEnvironment.Namespace);
        _client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
        KubernetesTestEnvironment.AddPushSecret(_emulator, "regcred", registry.Address, AuthenticatedRegistryFixture.User, AuthenticatedRegistryFixture.Secret);
        KubernetesTestEnvironment.AddPushSecret(_emulator, "wrongcred", registry.Address, AuthenticatedRegistryFixture.User, "not-the-password");
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _emulator.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>Builds a FROM-scratch image of one context file through the backend with the given push secret.</summary>
    private async Task<(IReadOnlyDictionary<string, StageResult>? Results, Exception? Error, string Output, string Manifests)> BuildAsync(string pushSecret, string tag, string? contextFetchImage = null)
    {
        var context = Directory.CreateDirectory(Path.Combine(_root, "context-" + tag)).FullName;
        await File.WriteAllTextAsync(Path.Combine(context, "hello.txt"), "behind auth\n");
        var book = new RecipeBook(_root);
        book.Image("private").FromScratch().Context(context).Copy("hello.txt", "/hello.txt")
            .CacheRepo($"{registry.Address}/team/cache").Destination($"{registry.Address}/team/private:{tag}");
        var graph = GraphBuilder.Build(book.Build(), []);
        var manifests = Path.Combine(_root, "manifests-" + tag);
        var credentials = new StaticCredentialProvider(new Dictionary<string, RegistryCredentials>
        {
            [registry.Address] = RegistryCredentials.FromPassword(AuthenticatedRegistryFixture.User, AuthenticatedRegistryFixture.Secret, "test"),
        });
        var options = new KubernetesOptions
        {
            ExecutorImage = KubernetesTestEnvironment.ExecutorImage,
            ContextFetchImage = contextFetchImage,
            PushSecret = pushSecret,
            Reproducible = true,
            EmitManifestsDirectory = manifests,
            Registry = new RegistryClientOptions { Credentials = credentials },
        };
        var output = new RecordingObserver();
        using var executor = new KubernetesStageExecutor(options, _client, KubernetesTestEnvironment.Namespace);
        try
        {
            return (await new GraphScheduler(executor, 2, output).RunAsync(graph, CancellationToken.None), null, output.Text, manifests);
        }
        catch (OrchestratorException error)
        {
            return (null, error, output.Text, manifests);
        }
    }

    [Fact]
    public async Task The_mounted_push_secret_lets_the_pod_fetch_and_push_and_its_value_is_never_shown()
    {
        var (results, error, output, manifests) = await BuildAsync("regcred", "1");
        Assert.True(error is null, error?.Message + "\n" + output);
        var digest = results!["private"].ManifestDigest;

        var inspect = (await ExternalTool.RunAsync("skopeo", "inspect", "--tls-verify=false",
            $"--creds={AuthenticatedRegistryFixture.User}:{AuthenticatedRegistryFixture.Secret}", $"docker://{registry.Address}/team/private:1")).EnsureSuccess();
        using var json = JsonDocument.Parse(inspect.StandardOutput);
        Assert.Equal(digest, json.RootElement.GetProperty("Digest").GetString());

        var emitted = string.Concat(Directory.GetFiles(manifests).Select(File.ReadAllText));
        Assert.Contains("secretName: regcred", emitted);
        foreach (var text in new[] { output, emitted })
        {
            Assert.DoesNotContain(AuthenticatedRegistryFixture.Secret, text);
            Assert.DoesNotContain(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{AuthenticatedRegistryFixture.User}:{AuthenticatedRegistryFixture.Secret}")), text);
        }
    }

    [Fact]
    public async Task With_the_wrong_credentials_in_the_secret_the_executors_context_fetch_fails_and_says_so()
    {
        var (_, error, _, _) = await BuildAsync("wrongcred", "2");
        Assert.NotNull(error);
        Assert.Contains("the executor exited with code", error.Message);
        Assert.Matches("team/cache.*blob HEAD.*401", error.Message);
        Assert.DoesNotContain("not-the-password", error.Message);
    }

    [Fact]
    public async Task With_the_wrong_credentials_in_the_secret_the_init_containers_context_fetch_fails_and_says_so()
    {
        var (_, error, _, _) = await BuildAsync("wrongcred", "3", contextFetchImage: KubernetesTestEnvironment.ExecutorImage);
        Assert.NotNull(error);
        Assert.Contains("fetching the build context failed in init container 'fetch-context'", error.Message);
        Assert.DoesNotContain("not-the-password", error.Message);
    }

    private sealed class RecordingObserver : IBuildObserver
    {
        private readonly System.Text.StringBuilder _text = new();

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
