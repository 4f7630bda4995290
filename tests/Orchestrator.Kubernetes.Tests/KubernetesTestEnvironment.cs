using System.Text;
using System.Text.Json.Nodes;
using Orchestrator.Cli;
using Orchestrator.Kubernetes.Tests.Emulator;
using Orchestrator.Testing;

namespace Orchestrator.Kubernetes.Tests;

/// <summary>
/// Everything a Kubernetes backend test needs, started once per test class: a real registry with a busybox base
/// image (built from the repository's busybox recipe by the local builder), the API emulator whose kubelet runs
/// this project's executor as the image <see cref="ExecutorImage"/>, a kubeconfig pointing at it, and the
/// <c>regcred</c> dockerconfigjson Secret in namespace <see cref="Namespace"/>.
/// </summary>
public sealed class KubernetesTestEnvironment : IAsyncLifetime
{
    /// <summary>What the executor image runs: by default <see cref="CliProgram"/>, the tests' own build of the CLI.</summary>
    public string ExecutorProgram { get; init; } = CliProgram;

    public const string Namespace = "builds";
    public const string ExecutorImage = "registry.test/orchestrator/executor:test";

    public RegistryFixture Registry { get; } = new();

    public KubernetesApiEmulator Emulator { get; private set; } = null!;

    public string Root { get; } = Directory.CreateTempSubdirectory("orchestrator-k8s-").FullName;

    public string Kubeconfig => Path.Combine(Root, "kubeconfig");

    public string BaseImage => $"{Registry.Address}/library/busybox:1.36";

    public string CacheRepo => $"{Registry.Address}/team/cache";

    /// <summary>The executor's entry dll in the test output.</summary>
    public static string CliDll => typeof(CliApp).Assembly.Location;

    /// <summary>The CLI's app host in the test output (what the image's <c>/orchestrator/dotnet-orchestrate</c> stands for).</summary>
    public static string CliProgram => Path.Combine(Path.GetDirectoryName(CliDll)!, "dotnet-orchestrate");

    public static string RepositoryRoot { get; } = FindRoot();

    public async Task InitializeAsync()
    {
        await Registry.InitializeAsync();
        Emulator = await StartEmulatorAsync(Root, ExecutorProgram);
        Emulator.WriteKubeconfig(Kubeconfig, Namespace);
        AddPushSecret(Emulator, "regcred", Registry.Address, "builder", "not-needed");
        await PushBusyboxBaseAsync();
    }

    /// <summary>An emulator whose node can pull <see cref="ExecutorImage"/>: this project's executor, entrypoint <c>/orchestrator/dotnet-orchestrate executor</c>.</summary>
    public static Task<KubernetesApiEmulator> StartEmulatorAsync(string root, string? executorProgram = null) =>
        KubernetesApiEmulator.StartAsync(new KubeletOptions
        {
            Images = new Dictionary<string, IReadOnlyList<string>> { [ExecutorImage] = [ExecutorArguments.ExecutorProgram, "executor"] },
            ImageFiles = new Dictionary<string, string> { [ExecutorArguments.ExecutorProgram] = executorProgram ?? CliProgram },
            WorkRoot = Directory.CreateDirectory(Path.Combine(root, "node")).FullName,
        });

    /// <summary>Adds a kubernetes.io/dockerconfigjson Secret (what <c>kubectl create secret docker-registry</c> makes) to <see cref="Namespace"/>.</summary>
    public static void AddPushSecret(KubernetesApiEmulator emulator, string name, string registry, string user, string password)
    {
        var config = new JsonObject { ["auths"] = new JsonObject { [registry] = new JsonObject { ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")) } } };
        var secret = new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "Secret", ["type"] = "kubernetes.io/dockerconfigjson",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["data"] = new JsonObject { [".dockerconfigjson"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(config.ToJsonString())) },
        };
        if (!emulator.Store.TryCreate(ResourceKind.Find("", "v1", "secrets")!, Namespace, secret, out _))
            throw new InvalidOperationException($"secret {name} exists already");
    }

    public async Task DisposeAsync()
    {
        await Emulator.DisposeAsync();
        await Registry.DisposeAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Runs <c>dotnet orchestrate</c> in-process; returns the exit code and what it printed.</summary>
    public static async Task<(int Code, string Out, string Err)> OrchestrateAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private async Task PushBusyboxBaseAsync()
    {
        var folder = Directory.CreateDirectory(Path.Combine(Root, "base")).FullName;
        File.Copy(Path.Combine(RepositoryRoot, "recipes", "busybox.csx"), Path.Combine(folder, "busybox.csx"));
        var script = Path.Combine(folder, "build.csx");
        await File.WriteAllTextAsync(script, $"#load \"busybox.csx\"\nImage(\"base\").From(BusyboxBase()).Destination(\"{BaseImage}\");\n");
        var (code, output, errors) = await OrchestrateAsync(script, "--cache-dir", Path.Combine(Root, "base-cache"), "--progress", "plain");
        if (code != ExitCodes.Ok) throw new InvalidOperationException($"the busybox base did not build:\n{output}\n{errors}");
    }

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "Orchestrator.sln"))) return folder.FullName;
        throw new InvalidOperationException("Orchestrator.sln not found above " + AppContext.BaseDirectory);
    }
}
