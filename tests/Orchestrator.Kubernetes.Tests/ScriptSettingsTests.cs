using System.Text.Json.Nodes;
using Orchestrator.Cli;

namespace Orchestrator.Kubernetes.Tests;

/// <summary>The script's <c>Kubernetes(k => …)</c> and the command line's flags, merged (flags win), in the Job the API receives.</summary>
public sealed class ScriptSettingsTests(KubernetesTestEnvironment env) : IClassFixture<KubernetesTestEnvironment>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orchestrator-k8s-script-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task The_scripts_kubernetes_settings_reach_the_job_and_flags_win()
    {
        var script = Path.Combine(_folder, "build.csx");
        File.WriteAllText(script, $$"""
            Kubernetes(k => k.Namespace("{{KubernetesTestEnvironment.Namespace}}").ExecutorImage("{{KubernetesTestEnvironment.ExecutorImage}}")
                .ServiceAccount("builder").Resources(cpu: "250m", memory: "256Mi", cpuLimit: "1", memoryLimit: "1Gi")
                .NodeSelector("pool", "builds").NodeSelector("disk", "hdd").Toleration("dedicated", "builds", "NoSchedule")
                .Deadline("20m").MaxParallelJobs(2).Retries(0).PushSecret("regcred"));
            Image("scripted").From("{{env.BaseImage}}").Run("echo scripted > /s.txt")
                .CacheRepo("{{env.Registry.Address}}/scripted/cache").Destination("{{env.Registry.Address}}/scripted/app:1");
            """);
        var (code, output, errors) = await KubernetesTestEnvironment.OrchestrateAsync(script, "--progress", "plain", "--backend", "kubernetes",
            "--kubeconfig", env.Kubeconfig, "--cache-dir", Path.Combine(_folder, "cache"),
            "--memory", "512Mi", "--node-selector", "disk=ssd", "--toleration", "spot:NoExecute");
        Assert.True(code == ExitCodes.Ok, $"{output}\n{errors}");

        using var http = new HttpClient();
        var url = $"{env.Emulator.Url}/apis/batch/v1/namespaces/{KubernetesTestEnvironment.Namespace}/jobs?labelSelector={Uri.EscapeDataString(KubernetesNames.NodeLabel + "=scripted")}";
        var job = Assert.Single(JsonNode.Parse(await http.GetStringAsync(url))!["items"]!.AsArray())!;
        Assert.Equal(1200, job["spec"]!["activeDeadlineSeconds"]!.GetValue<long>());
        var pod = job["spec"]!["template"]!["spec"]!;
        Assert.Equal("builder", pod["serviceAccountName"]!.GetValue<string>());
        Assert.Equal("""{"disk":"ssd","pool":"builds"}""", pod["nodeSelector"]!.ToJsonString());
        Assert.Equal("""[{"effect":"NoExecute","key":"spot","operator":"Exists"}]""", pod["tolerations"]!.ToJsonString());
        var executor = pod["containers"]![0]!;
        Assert.Equal("""{"limits":{"cpu":"1","memory":"1Gi"},"requests":{"cpu":"250m","memory":"512Mi"}}""", executor["resources"]!.ToJsonString());
        Assert.Equal("regcred", pod["volumes"]!.AsArray().Single(v => v!["name"]!.GetValue<string>() == "docker-config")!["secret"]!["secretName"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_wrong_quantity_in_the_script_names_the_setting_and_the_fix()
    {
        var script = Path.Combine(_folder, "bad.csx");
        File.WriteAllText(script, $$"""
            Kubernetes(k => k.ExecutorImage("{{KubernetesTestEnvironment.ExecutorImage}}").Resources(memory: "lots"));
            Image("bad").From("{{env.BaseImage}}").Run("true").CacheRepo("{{env.Registry.Address}}/bad/cache").Destination("{{env.Registry.Address}}/bad/app:1");
            """);
        var (code, output, errors) = await KubernetesTestEnvironment.OrchestrateAsync(script, "--backend", "kubernetes", "--kubeconfig", env.Kubeconfig, "--cache-dir", Path.Combine(_folder, "cache"));
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Contains("--memory (Resources(memory: …) in the script) 'lots' is not a Kubernetes quantity; write CPU as 500m or 2, memory as 512Mi or 2Gi", errors + output);
    }
}
