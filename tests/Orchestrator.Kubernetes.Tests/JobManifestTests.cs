using Orchestrator.Recipes;

namespace Orchestrator.Kubernetes.Tests;

/// <summary>The Job the backend creates for a node, against a golden file, and the executor arguments it carries.</summary>
public sealed class JobManifestTests
{
    private static readonly string GoldenPath = Path.Combine(KubernetesTestEnvironment.RepositoryRoot, "tests", "Orchestrator.Kubernetes.Tests", "Goldens", "job.yaml");

    private static KubernetesOptions Options => new()
    {
        BuildId = "0123456789",
        ExecutorImage = "registry.example.com/tools/executor:1.0",
        ServiceAccount = "orchestrator-builder",
        NodeDeadline = TimeSpan.FromMinutes(30),
        Reproducible = true,
        BuildArgs = new Dictionary<string, string> { ["VERSION"] = "1.2.3" },
    };

    private const string ContextBlob = "registry.example.com/shop/cache@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    private static StageRecipe Stage => new("web", true, new ImageSource.Registry("registry.example.com/base:1"), [], SourceLocation.Unknown)
    {
        CacheRepo = "registry.example.com/shop/cache",
        Destinations = ["registry.example.com/shop/web:1.2.3"],
    };

    [Fact]
    public void The_job_of_a_node_matches_the_golden_yaml()
    {
        var request = new JobRequest("0123456789", "web", KubernetesNames.JobName("0123456789", "web"),
            ContextBlob, 4096, ExecutorArguments.For(Stage, Stage.Destinations, ContextBlob, Options));
        var yaml = ManifestEmitter.ToYaml(JobManifest.Create(request, Options, "builds"));
        if (Environment.GetEnvironmentVariable("ORCHESTRATOR_UPDATE_GOLDENS") == "1") File.WriteAllText(GoldenPath, yaml);
        Assert.Equal(File.ReadAllText(GoldenPath), yaml);
    }

    [Fact]
    public void With_an_upstream_kaniko_executor_an_init_container_fetches_the_context_and_matches_the_golden_yaml()
    {
        var golden = Path.Combine(Path.GetDirectoryName(GoldenPath)!, "job-kaniko.yaml");
        var options = Options with { ExecutorImage = "gcr.io/kaniko-project/executor:v1.20.0", ContextFetchImage = "registry.example.com/tools/executor:1.0" };
        var request = new JobRequest("0123456789", "web", KubernetesNames.JobName("0123456789", "web"),
            ContextBlob, 4096, ExecutorArguments.For(Stage, Stage.Destinations, ContextBlob, options));
        var yaml = ManifestEmitter.ToYaml(JobManifest.Create(request, options, "builds"));
        if (Environment.GetEnvironmentVariable("ORCHESTRATOR_UPDATE_GOLDENS") == "1") File.WriteAllText(golden, yaml);
        Assert.Equal(File.ReadAllText(golden), yaml);
        Assert.Contains("initContainers:", yaml);
        Assert.DoesNotContain("oci-blob://", yaml);
        Assert.DoesNotContain("initContainers:", ManifestEmitter.ToYaml(JobManifest.Create(request with { ExecutorArgs = ExecutorArguments.For(Stage, Stage.Destinations, ContextBlob, Options) }, Options, "builds")));
    }

    [Fact]
    public void Resources_node_selector_and_tolerations_reach_the_pod_in_a_stable_order()
    {
        var golden = Path.Combine(Path.GetDirectoryName(GoldenPath)!, "job-scheduling.yaml");
        var options = Options with
        {
            CpuRequest = "500m", MemoryRequest = "1Gi", CpuLimit = "2", MemoryLimit = "4Gi",
            NodeSelector = new Dictionary<string, string> { ["pool"] = "builds", ["kubernetes.io/arch"] = "amd64", ["disk"] = "ssd" },
            Tolerations = [new KubernetesToleration("dedicated", "builds", "NoSchedule"), new KubernetesToleration("spot", null, "NoExecute")],
        };
        var request = new JobRequest("0123456789", "web", KubernetesNames.JobName("0123456789", "web"),
            ContextBlob, 4096, ExecutorArguments.For(Stage, Stage.Destinations, ContextBlob, options));
        var yaml = ManifestEmitter.ToYaml(JobManifest.Create(request, options, "builds"));
        if (Environment.GetEnvironmentVariable("ORCHESTRATOR_UPDATE_GOLDENS") == "1") File.WriteAllText(golden, yaml);
        Assert.Equal(File.ReadAllText(golden), yaml);
        Assert.True(yaml.IndexOf("disk: ssd", StringComparison.Ordinal) < yaml.IndexOf("kubernetes.io/arch: amd64", StringComparison.Ordinal)
            && yaml.IndexOf("kubernetes.io/arch: amd64", StringComparison.Ordinal) < yaml.IndexOf("pool: builds", StringComparison.Ordinal), yaml);
    }

    [Fact]
    public void The_registry_certificates_configmap_matches_the_golden_yaml()
    {
        var golden = Path.Combine(Path.GetDirectoryName(GoldenPath)!, "configmap-registry-certs.yaml");
        var pem = Path.Combine(Path.GetTempPath(), $"orchestrator-ca-{Guid.NewGuid():N}.pem");
        File.WriteAllText(pem, "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n");
        try
        {
            var options = Options with { RegistryCertificates = new Dictionary<string, string> { ["registry.internal:5000"] = pem } };
            var yaml = ManifestEmitter.ToYaml(JobManifest.Certificates("0123456789", options, "builds"));
            if (Environment.GetEnvironmentVariable("ORCHESTRATOR_UPDATE_GOLDENS") == "1") File.WriteAllText(golden, yaml);
            Assert.Equal(File.ReadAllText(golden), yaml);
            var request = new JobRequest("0123456789", "web", KubernetesNames.JobName("0123456789", "web"),
                ContextBlob, 4096, ExecutorArguments.For(Stage, Stage.Destinations, ContextBlob, options));
            var job = ManifestEmitter.ToYaml(JobManifest.Create(request, options, "builds"));
            Assert.Contains("--registry-certificate=registry.internal:5000=/kaniko/registry-certs/registry.internal_5000.crt", job);
            Assert.Contains("name: orch-0123456789-registry-certs", job);
        }
        finally
        {
            File.Delete(pem);
        }
    }

    [Fact]
    public void The_arg_values_a_node_starts_with_survive_rendering_and_parsing()
    {
        var child = new StageRecipe("child", true, new ImageSource.Stage("parent"), [new RunInstruction(Command.Shell("echo $FLAVOUR"), RunOptions.Default)], SourceLocation.Unknown);
        var inputs = new Dictionary<string, Planning.StageResult>
        {
            ["parent"] = new KubernetesStageResult("parent", "registry.example.com/cache@sha256:" + new string('b', 64), "job") { Args = [new ArgInstruction("FLAVOUR", "mint \"fresh\"")] },
        };
        var dockerfile = KubernetesStageExecutor.RenderDockerfile(child, inputs);
        Assert.StartsWith("# orchestratorargs=", dockerfile);
        Assert.DoesNotContain("ARG ", dockerfile);
        var parsed = Dockerfiles.DockerfileParser.Parse(dockerfile, "Dockerfile", new Dictionary<string, string>());
        var stub = Assert.Single(parsed.Stages, s => s.Name == "parent");
        Assert.Equal("mint \"fresh\"", Assert.Single(stub.InheritedArgs).Value);
    }

    [Fact]
    public void Flags_win_over_the_script_field_by_field()
    {
        var script = new KubernetesSettings
        {
            Namespace = "from-script", Cpu = "250m", Memory = "256Mi", Retries = 2, PushSecret = "script-secret",
            NodeSelector = new Dictionary<string, string> { ["pool"] = "builds", ["disk"] = "hdd" },
            Tolerations = [new KubernetesToleration("dedicated", "builds", "NoSchedule")],
        };
        var flags = new KubernetesSettings { Memory = "512Mi", PushSecret = "", NodeSelector = new Dictionary<string, string> { ["disk"] = "ssd" } };
        var options = new KubernetesOptions().With(flags.Over(script));
        Assert.Equal("from-script", options.Namespace);
        Assert.Equal("250m", options.CpuRequest);
        Assert.Equal("512Mi", options.MemoryRequest);
        Assert.Equal(2, options.Retries);
        Assert.Null(options.PushSecret);
        Assert.Equal(8, options.MaxParallelJobs);
        Assert.Equal(TimeSpan.FromHours(1), options.NodeDeadline);
        Assert.Equal(new Dictionary<string, string> { ["disk"] = "ssd", ["pool"] = "builds" }, options.NodeSelector);
        Assert.Equal("dedicated=builds:NoSchedule", Assert.Single(options.Tolerations).ToString());
    }

    [Theory]
    [InlineData("dedicated=builds:NoSchedule", "dedicated", "builds", "NoSchedule", "Equal")]
    [InlineData("spot:NoExecute", "spot", null, "NoExecute", "Exists")]
    [InlineData("example.com/gpu=a=b:PreferNoSchedule", "example.com/gpu", "a=b", "PreferNoSchedule", "Equal")]
    public void Tolerations_read_as_the_flag_writes_them(string text, string key, string? value, string effect, string op)
    {
        Assert.True(KubernetesToleration.TryParse(text, out var toleration, out var error), error);
        Assert.Equal((key, value, effect, op), (toleration.Key, toleration.Value, toleration.Effect, toleration.Operator));
    }

    [Theory]
    [InlineData("dedicated=builds")]
    [InlineData("dedicated:Never")]
    [InlineData(":NoSchedule")]
    public void A_wrong_toleration_is_refused_with_the_form_it_needs(string text)
    {
        Assert.False(KubernetesToleration.TryParse(text, out _, out var error));
        Assert.Matches("KEY\\[=VALUE\\]:EFFECT|not one of|taint key", error);
    }

    [Fact]
    public void This_projects_executor_gets_kanikos_flags_with_the_context_blob_as_its_context()
    {
        var args = ExecutorArguments.For(Stage, Stage.Destinations, ContextBlob, Options with { Platform = "linux/arm64", InsecureRegistries = ["registry.internal:5000"] });
        Assert.Equal(
        [
            "--dockerfile=../Dockerfile", "--context=oci-blob://" + ContextBlob, "--context-sub-path=context", "--destination=registry.example.com/shop/web:1.2.3",
            "--cache=true", "--cache-repo=registry.example.com/shop/cache", "--build-arg=VERSION=1.2.3", "--reproducible",
            "--custom-platform=linux/arm64", "--insecure-registry=registry.internal:5000", "--digest-file=/dev/termination-log",
        ], args);
    }

    [Fact]
    public void A_kaniko_executor_gets_kanikos_flags_only()
    {
        var args = ExecutorArguments.For(Stage, Stage.Destinations, ContextBlob, Options with { Platform = "linux/arm64", InsecureRegistries = ["registry.internal:5000"], ContextFetchImage = "registry.example.com/tools/executor:1.0" });
        Assert.Equal(
        [
            "--dockerfile=/workspace/Dockerfile", "--context=dir:///workspace/context", "--destination=registry.example.com/shop/web:1.2.3",
            "--cache=true", "--cache-repo=registry.example.com/shop/cache", "--build-arg=VERSION=1.2.3", "--reproducible",
            "--custom-platform=linux/arm64", "--insecure-registry=registry.internal:5000", "--digest-file=/dev/termination-log",
        ], args);
    }

    [Fact]
    public void Pull_through_mirrors_reach_the_executor_as_kanikos_mirror_flags()
    {
        var mirrors = new Dictionary<string, IReadOnlyList<string>>
        {
            ["docker.io"] = ["mirror.gcr.io", "hub-cache.internal"],
            ["quay.io"] = ["quay-cache.internal"],
        };
        var args = ExecutorArguments.For(Stage, Stage.Destinations, ContextBlob, Options with { Registry = Options.Registry with { RegistryMirrors = mirrors } });
        Assert.Equal(["--registry-mirror=mirror.gcr.io", "--registry-mirror=hub-cache.internal", "--registry-map=quay.io=quay-cache.internal"],
            args.Where(a => a.StartsWith("--registry-m", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("web", "orch-0123456789-web")]
    [InlineData("Web_API", "orch-0123456789-web-api-")]
    [InlineData("a-very-long-stage-name-that-would-not-fit-into-a-job-name-at-all", "orch-0123456789-a-very-long-stage-name-that-would-not-")]
    public void Job_names_are_dns_labels_of_at_most_63_characters(string node, string prefix)
    {
        var name = KubernetesNames.JobName("0123456789", node);
        Assert.StartsWith(prefix, name);
        Assert.True(name.Length <= 63, name);
        Assert.Matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", name);
        Assert.NotEqual(name, KubernetesNames.JobName("0123456789", node + "2"));
    }
}
