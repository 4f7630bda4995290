using System.Text.Json;
using Orchestrator.Cli;
using Orchestrator.Kubernetes.Tests.Emulator;
using Orchestrator.Testing;

namespace Orchestrator.Kubernetes.Tests;

/// <summary>
/// kubectl (a client nobody here wrote) against the emulator: the manifests the backend emits apply as they
/// are, the Job runs to the same digest, its log follows, <c>get -o json</c> and <c>delete</c> behave; and
/// <c>dotnet orchestrate k8s cleanup</c> removes what builds left.
/// </summary>
public sealed class KubectlFidelityTests(KubernetesTestEnvironment env) : IClassFixture<KubernetesTestEnvironment>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orchestrator-kubectl-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private async Task<ToolResult> KubectlAsync(params string[] args) =>
        await ExternalTool.RunAsync("kubectl", ["--kubeconfig", env.Kubeconfig, .. args], TimeSpan.FromMinutes(3));

    private async Task<(string Manifest, string Job, string Digest)> BuildWithManifestsAsync()
    {
        var script = Path.Combine(_folder, "build.csx");
        // A step no earlier build ran (the comment differs), so the cache cannot answer it and the node becomes a Job.
        var nonce = Guid.NewGuid().ToString("N");
        await File.WriteAllTextAsync(script, $$"""
            Image("hello").From("{{env.BaseImage}}").Run("echo hello-from-the-job > /hello.txt # {{nonce}}").CacheRepo("{{env.CacheRepo}}").Destination("{{env.Registry.Address}}/team/hello:1");
            """);
        var manifests = Path.Combine(_folder, "manifests");
        var (code, output, errors) = await KubernetesTestEnvironment.OrchestrateAsync(script, "--progress", "plain", "--reproducible", "--backend", "kubernetes",
            "--kubeconfig", env.Kubeconfig, "--executor-image", KubernetesTestEnvironment.ExecutorImage, "--cache-dir", Path.Combine(_folder, "cache"), "--emit-manifests", manifests);
        Assert.True(code == ExitCodes.Ok, output + errors);
        var manifest = Assert.Single(Directory.GetFiles(manifests));
        var job = Path.GetFileNameWithoutExtension(manifest)["job-".Length..];
        var digest = output.Split('@')[^1].Trim();
        return (manifest, job, digest);
    }

    [Fact]
    public async Task Emitted_manifests_apply_run_log_and_delete_with_kubectl()
    {
        var (manifest, job, digest) = await BuildWithManifestsAsync();
        Assert.DoesNotContain(".dockerconfigjson:", await File.ReadAllTextAsync(manifest)); // the secret is named, never copied

        (await KubectlAsync("delete", "job", job, "--cascade=background")).EnsureSuccess();
        // The emulator serves no OpenAPI documents, which kubectl's client-side validation downloads.
        (await KubectlAsync("apply", "--validate=false", "-f", manifest)).EnsureSuccess();
        (await KubectlAsync("wait", "--for=condition=complete", $"job/{job}", "--timeout=120s")).EnsureSuccess();

        var logs = (await KubectlAsync("logs", "-f", $"job/{job}", "-c", JobManifest.ExecutorContainer)).EnsureSuccess();
        Assert.Contains("RUN echo hello-from-the-job > /hello.txt", logs.StandardOutput);

        var pods = (await KubectlAsync("get", "pods", "-l", $"job-name={job}", "-o", "json")).EnsureSuccess();
        using (var json = JsonDocument.Parse(pods.StandardOutput))
        {
            var pod = Assert.Single(json.RootElement.GetProperty("items").EnumerateArray());
            Assert.Equal("Succeeded", pod.GetProperty("status").GetProperty("phase").GetString());
            var terminated = pod.GetProperty("status").GetProperty("containerStatuses")[0].GetProperty("state").GetProperty("terminated");
            Assert.Equal(digest, terminated.GetProperty("message").GetString()!.Trim()); // the same context and flags give the same image
        }
        var got = (await KubectlAsync("get", "job", job, "-o", "json")).EnsureSuccess();
        using (var json = JsonDocument.Parse(got.StandardOutput))
        {
            Assert.Equal("orchestrator", json.RootElement.GetProperty("metadata").GetProperty("labels").GetProperty("app.kubernetes.io/managed-by").GetString());
            Assert.Equal(1, json.RootElement.GetProperty("status").GetProperty("succeeded").GetInt32());
        }

        (await KubectlAsync("delete", "-f", manifest)).EnsureSuccess();
        var left = (await KubectlAsync("get", "jobs,pods", "-l", $"job-name={job}", "-o", "name")).EnsureSuccess();
        Assert.Equal("", left.StandardOutput.Trim());
        var missing = await KubectlAsync("get", "job", job);
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains($"jobs.batch \"{job}\" not found", missing.StandardError);
    }

    [Fact]
    public async Task A_build_needs_no_more_than_the_example_role_grants()
    {
        var rbac = Path.Combine(KubernetesTestEnvironment.RepositoryRoot, "examples", "kubernetes", "rbac.yaml");
        var applied = (await KubectlAsync("apply", "--validate=false", "-f", rbac)).EnsureSuccess();
        Assert.Contains("role.rbac.authorization.k8s.io/orchestrator-builds created", applied.StandardOutput);
        var role = env.Emulator.Store.Get(ResourceKind.Find("rbac.authorization.k8s.io", "v1", "roles")!, KubernetesTestEnvironment.Namespace, "orchestrator-builds")!;
        env.Emulator.EnforcedRole = role;
        try
        {
            var (_, job, _) = await BuildWithManifestsAsync();
            Assert.StartsWith("orch-", job);
            var denied = await KubectlAsync("get", "configmaps");
            Assert.Contains("configmaps is forbidden", denied.StandardError); // the role is really enforced
        }
        finally
        {
            env.Emulator.EnforcedRole = null;
        }
    }

    [Fact]
    public async Task Cleanup_deletes_the_jobs_builds_left_and_nothing_else()
    {
        var (_, job, _) = await BuildWithManifestsAsync();
        var other = Path.Combine(_folder, "other.yaml");
        await File.WriteAllTextAsync(other, """
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: someone-elses
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers:
                  - name: main
                    image: registry.test/someone/else:1
            """);
        (await KubectlAsync("create", "--validate=false", "-f", other)).EnsureSuccess();
        // What a killed --push-secret-from-local build leaves: its per-node Secret, labelled like its Jobs.
        var leftover = Path.Combine(_folder, "leftover.yaml");
        await File.WriteAllTextAsync(leftover, $$"""
            apiVersion: v1
            kind: Secret
            type: kubernetes.io/dockerconfigjson
            metadata:
              name: orch-0123456789-web-auth
              labels:
                {{KubernetesNames.ManagedByLabel}}: {{KubernetesNames.ManagedByValue}}
                {{KubernetesNames.BuildIdLabel}}: "0123456789"
            data:
              .dockerconfigjson: e30=
            """);
        (await KubectlAsync("create", "--validate=false", "-f", leftover)).EnsureSuccess();

        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.True(await CliApp.RunAsync(["k8s", "cleanup", "--kubeconfig", env.Kubeconfig], stdout, stderr) == ExitCodes.Ok, stderr.ToString());
        Assert.Contains($"job.batch/{job} deleted", stdout.ToString());
        Assert.Contains("secret/orch-0123456789-web-auth deleted", stdout.ToString());
        Assert.DoesNotContain("orch-0123456789-web-auth", (await KubectlAsync("get", "secrets", "-o", "name")).EnsureSuccess().StandardOutput);
        Assert.Contains("regcred", (await KubectlAsync("get", "secrets", "-o", "name")).EnsureSuccess().StandardOutput);

        var jobs = (await KubectlAsync("get", "jobs", "-o", "name")).EnsureSuccess().StandardOutput;
        Assert.Contains("job.batch/someone-elses", jobs);
        Assert.DoesNotContain(job, jobs);
        var pods = env.Emulator.Store.List(ResourceKind.Find("", "v1", "pods")!, KubernetesTestEnvironment.Namespace).Items;
        Assert.DoesNotContain(pods, p => p["metadata"]!["labels"]?["job-name"]?.GetValue<string>() == job);
        (await KubectlAsync("delete", "job", "someone-elses")).EnsureSuccess();
    }
}
