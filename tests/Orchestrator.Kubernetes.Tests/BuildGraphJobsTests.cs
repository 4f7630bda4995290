using System.Text.Json;
using Orchestrator.Cli;
using Orchestrator.Testing;

namespace Orchestrator.Kubernetes.Tests;

/// <summary>
/// <c>dotnet orchestrate --backend kubernetes</c> through the API emulator into a real registry: each node is a
/// Job whose pod runs this project's executor; the result is compared with the local backend's.
/// </summary>
public sealed class BuildGraphJobsTests(KubernetesTestEnvironment env) : IClassFixture<KubernetesTestEnvironment>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orchestrator-k8s-build-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>common (with a build context) is the base of the images api and web, which are independent of each other.</summary>
    private string WriteGraphScript()
    {
        var context = Directory.CreateDirectory(Path.Combine(_folder, "common")).FullName;
        File.WriteAllText(Path.Combine(context, "a.txt"), "from the context\n");
        File.WriteAllText(Path.Combine(context, "ignored.log"), "must not reach the pod\n");
        File.WriteAllText(Path.Combine(context, ".dockerignore"), "*.log\n");
        var script = Path.Combine(_folder, "build.csx");
        File.WriteAllText(script, """
            var baseImage = Arg("BASE", "");
            var cache = Arg("CACHE", "");
            var repository = Arg("REPO", "");
            var tag = Arg("TAG", "");
            var common = Stage("common").From(baseImage).Context("common").Copy(".", "/work/")
                .Run("ls -a /work > /common-files.txt").CacheRepo(cache);
            Image("api").From(common).Run("sleep 1 && cat /work/a.txt > /api.txt").Label("org.example.role", "api")
                .CacheRepo(cache).Destination($"{repository}/api:{tag}");
            Image("web").From(common).Run("sleep 1 && echo web > /web.txt").Env("PORT", "8080")
                .CacheRepo(cache).Destination($"{repository}/web:{tag}");
            """);
        return script;
    }

    private string Repository => $"{env.Registry.Address}/team";

    private string[] Args(string script, string tag, params string[] more) =>
    [
        script, "--reproducible", "--progress", "plain",
        "--build-arg", $"BASE={env.BaseImage}", "--build-arg", $"CACHE={env.CacheRepo}", "--build-arg", $"REPO={Repository}", "--build-arg", $"TAG={tag}",
        .. more,
    ];

    private string[] KubernetesArgs(string script, string tag, params string[] more) =>
        Args(script, tag, ["--backend", "kubernetes", "--kubeconfig", env.Kubeconfig, "--executor-image", KubernetesTestEnvironment.ExecutorImage, "--cache-dir", Path.Combine(_folder, "cache"), .. more]);

    [Fact]
    public async Task Independent_stages_run_as_overlapping_jobs_and_the_images_match_the_local_build()
    {
        var script = WriteGraphScript();
        var manifests = Path.Combine(_folder, "manifests");
        var (code, output, errors) = await KubernetesTestEnvironment.OrchestrateAsync(KubernetesArgs(script, "k8s", "--emit-manifests", manifests));
        Assert.True(code == ExitCodes.Ok, $"{output}\n{errors}");
        var (localCode, localOutput, localErrors) = await KubernetesTestEnvironment.OrchestrateAsync(Args(script, "local", "--cache-dir", Path.Combine(_folder, "local-cache")));
        Assert.True(localCode == ExitCodes.Ok, $"{localOutput}\n{localErrors}");

        foreach (var image in new[] { "api", "web" })
        {
            var remoteDigest = await DigestAsync($"{Repository}/{image}:k8s");
            Assert.Equal(await DigestAsync($"{Repository}/{image}:local"), remoteDigest);
            Assert.Contains($"{image} → {Repository}/{image}:k8s@{remoteDigest}", output);
        }

        // Every node ran as its own Job, the executor's log reached the node's output, and the two independent
        // images' executors ran at the same time (by the kubelet's own start/finish records, not wall-clock limits).
        var executors = env.Emulator.Kubelet.Runs.Where(r => r.Container == JobManifest.ExecutorContainer && File.Exists(Path.Combine(manifests, $"job-{r.Job}.yaml"))).ToList();
        Assert.Equal(3, executors.Count);
        Assert.All(executors, r => Assert.Equal(0, r.ExitCode));
        var common = Assert.Single(executors, r => r.Job.EndsWith("-common", StringComparison.Ordinal));
        var api = Assert.Single(executors, r => r.Job.EndsWith("-api", StringComparison.Ordinal));
        var web = Assert.Single(executors, r => r.Job.EndsWith("-web", StringComparison.Ordinal));
        Assert.True(api.Started < web.Finished && web.Started < api.Finished, $"api {api.Started:O}–{api.Finished:O}, web {web.Started:O}–{web.Finished:O}");
        Assert.True(api.Started >= common.Finished && web.Started >= common.Finished, "the images wait for their base stage");
        Assert.Contains($"--destination={Repository}/api:k8s", api.Argv);
        Assert.Contains($"--cache-repo={env.CacheRepo}", api.Argv);
        Assert.Contains("--reproducible", api.Argv);
        Assert.Contains(output.Split('\n'), l => l.StartsWith("[web] ", StringComparison.Ordinal) && l.Contains("RUN sleep 1 && echo web > /web.txt"));

        // The .dockerignore'd file never reached the pod; the Dockerfile did not land in the context either.
        var bundle = await UnpackAsync($"{Repository}/api:k8s");
        Assert.Equal(".\n..\n.dockerignore\na.txt\n", await File.ReadAllTextAsync(Path.Combine(bundle, "rootfs", "common-files.txt")));
        Assert.Equal("from the context\n", await File.ReadAllTextAsync(Path.Combine(bundle, "rootfs", "api.txt")));
    }

    [Fact]
    public async Task A_stage_built_from_another_starts_with_its_arg_values_as_on_the_local_backend()
    {
        var script = Path.Combine(_folder, "args.csx");
        File.WriteAllText(script, """
            var baseImage = Arg("BASE", "");
            var cache = Arg("CACHE", "");
            var repository = Arg("REPO", "");
            var tag = Arg("TAG", "");
            var parent = Stage("argparent").From(baseImage).BuildArg("FLAVOUR", "mint").Run("echo parent > /parent.txt").CacheRepo(cache);
            Image("argchild").From(parent).Run("echo \"flavour=$FLAVOUR\" > /flavour.txt").CacheRepo(cache).Destination($"{repository}/argchild:{tag}");
            """);
        var (code, output, errors) = await KubernetesTestEnvironment.OrchestrateAsync(KubernetesArgs(script, "k8s"));
        Assert.True(code == ExitCodes.Ok, $"{output}\n{errors}");
        var (localCode, localOutput, localErrors) = await KubernetesTestEnvironment.OrchestrateAsync(Args(script, "local", "--cache-dir", Path.Combine(_folder, "local-cache")));
        Assert.True(localCode == ExitCodes.Ok, $"{localOutput}\n{localErrors}");

        Assert.Equal(await DigestAsync($"{Repository}/argchild:local"), await DigestAsync($"{Repository}/argchild:k8s"));
        var bundle = await UnpackAsync($"{Repository}/argchild:k8s");
        Assert.Equal("flavour=mint\n", await File.ReadAllTextAsync(Path.Combine(bundle, "rootfs", "flavour.txt")));
    }

    [Fact]
    public async Task The_kubernetes_example_builds_through_jobs()
    {
        var script = Path.Combine(KubernetesTestEnvironment.RepositoryRoot, "examples", "kubernetes", "build.csx");
        var (code, output, errors) = await KubernetesTestEnvironment.OrchestrateAsync(script, "--progress", "plain", "--backend", "kubernetes",
            "--kubeconfig", env.Kubeconfig, "--executor-image", KubernetesTestEnvironment.ExecutorImage, "--cache-dir", Path.Combine(_folder, "cache"),
            "--build-arg", $"BASE={env.BaseImage}", "--build-arg", $"REGISTRY={env.Registry.Address}/demo");
        Assert.True(code == ExitCodes.Ok, $"{output}\n{errors}");
        var bundle = await UnpackAsync($"{env.Registry.Address}/demo/web:latest");
        Assert.Equal("listen=8080\nroot=/srv/www\n", await File.ReadAllTextAsync(Path.Combine(bundle, "rootfs", "etc", "web", "app.conf")));
        Assert.Contains("built by a Job", await File.ReadAllTextAsync(Path.Combine(bundle, "rootfs", "srv", "www", "index.html")));
    }

    [Fact]
    public async Task A_failed_node_is_tried_again_as_a_new_job_when_retries_are_allowed()
    {
        var script = Path.Combine(_folder, "flaky.csx");
        File.WriteAllText(script, $$"""
            Image("flaky").From("{{env.BaseImage}}").Run("echo attempt && exit 7").CacheRepo("{{env.CacheRepo}}").Destination("{{Repository}}/flaky:1");
            """);
        var (code, output, errors) = await KubernetesTestEnvironment.OrchestrateAsync(script, "--progress", "plain", "--backend", "kubernetes",
            "--kubeconfig", env.Kubeconfig, "--executor-image", KubernetesTestEnvironment.ExecutorImage, "--cache-dir", Path.Combine(_folder, "cache"), "--retries", "1");
        Assert.Equal(ExitCodes.BuildFailed, code);
        Assert.Contains("trying again (1 of 1)", output);
        var jobs = env.Emulator.Kubelet.Runs.Where(r => r.Container == JobManifest.ExecutorContainer && r.Job.Contains("-flaky", StringComparison.Ordinal)).Select(r => r.Job).ToList();
        Assert.Equal(2, jobs.Count);
        Assert.Single(jobs, j => j.EndsWith("-flaky-r1", StringComparison.Ordinal));
        Assert.Contains("the executor exited with code", errors);
    }

    private async Task<string> UnpackAsync(string reference)
    {
        var layout = Path.Combine(_folder, "layout");
        (await ExternalTool.RunAsync("skopeo", "copy", "--src-tls-verify=false", $"docker://{reference}", $"oci:{layout}:latest")).EnsureSuccess();
        var bundle = Path.Combine(_folder, "bundle");
        (await ExternalTool.RunAsync("umoci", "unpack", "--rootless", "--image", $"{layout}:latest", bundle)).EnsureSuccess();
        return bundle;
    }

    private static async Task<string> DigestAsync(string reference)
    {
        var inspect = (await ExternalTool.RunAsync("skopeo", "inspect", "--tls-verify=false", $"docker://{reference}")).EnsureSuccess();
        using var json = JsonDocument.Parse(inspect.StandardOutput);
        return json.RootElement.GetProperty("Digest").GetString()!;
    }
}
