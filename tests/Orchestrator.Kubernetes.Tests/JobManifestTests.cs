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

    private static StageRecipe Stage => new("web", true, new ImageSource.Registry("registry.example.com/base:1"), [], SourceLocation.Unknown)
    {
        CacheRepo = "registry.example.com/shop/cache",
        Destinations = ["registry.example.com/shop/web:1.2.3"],
    };

    [Fact]
    public void The_job_of_a_node_matches_the_golden_yaml()
    {
        var request = new JobRequest("0123456789", "web", KubernetesNames.JobName("0123456789", "web"),
            "registry.example.com/shop/cache@sha256:" + new string('a', 64), 4096, ExecutorArguments.For(Stage, Stage.Destinations, Options));
        var yaml = ManifestEmitter.ToYaml(JobManifest.Create(request, Options, "builds"));
        if (Environment.GetEnvironmentVariable("ORCHESTRATOR_UPDATE_GOLDENS") == "1") File.WriteAllText(GoldenPath, yaml);
        Assert.Equal(File.ReadAllText(GoldenPath), yaml);
    }

    [Fact]
    public void The_executor_gets_kanikos_flags_only()
    {
        var args = ExecutorArguments.For(Stage, Stage.Destinations, Options with { Platform = "linux/arm64", InsecureRegistries = ["registry.internal:5000"] });
        Assert.Equal(
        [
            "--dockerfile=/workspace/Dockerfile", "--context=dir:///workspace/context", "--destination=registry.example.com/shop/web:1.2.3",
            "--cache=true", "--cache-repo=registry.example.com/shop/cache", "--build-arg=VERSION=1.2.3", "--reproducible",
            "--custom-platform=linux/arm64", "--insecure-registry=registry.internal:5000", "--digest-file=/dev/termination-log",
        ], args);
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
