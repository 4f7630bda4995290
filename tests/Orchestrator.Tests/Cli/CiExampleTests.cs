using YamlDotNet.RepresentationModel;

namespace Orchestrator.Tests.Cli;

/// <summary>
/// examples/ci: the GitLab CI file and the GitHub Actions workflow, parsed with YamlDotNet. Each must have
/// what its CI system requires of it, run <c>dotnet orchestrate</c> with flags the CLI's own parser accepts
/// (one job with the local builder, one with <c>--backend kubernetes</c>), and keep the registry password out
/// of the log.
/// </summary>
public sealed class CiExampleTests
{
    private static readonly string Folder = Path.Combine(RepositoryFiles.Root, "examples", "ci");

    /// <summary>Keys of a .gitlab-ci.yml that are settings, not jobs.</summary>
    private static readonly HashSet<string> GitLabKeywords = ["stages", "variables", "default", "include", "workflow", "image", "services", "cache", "before_script", "after_script", "spec"];

    private static YamlMappingNode Load(string file)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(Folder, file))) yaml.Load(reader);
        return Assert.IsType<YamlMappingNode>(Assert.Single(yaml.Documents).RootNode);
    }

    private static YamlNode? Child(YamlMappingNode node, string key) => node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static string Scalar(YamlNode? node) => Assert.IsType<YamlScalarNode>(node).Value!;

    /// <summary>A GitLab script: a string or a list of strings and lists (anchors nest lists; GitLab flattens them).</summary>
    private static IEnumerable<string> ScriptLines(YamlNode? node) => node switch
    {
        null => [],
        YamlScalarNode scalar => [scalar.Value!],
        YamlSequenceNode sequence => sequence.Children.SelectMany(ScriptLines),
        _ => throw new InvalidDataException($"a script is a string or a list, not {node.NodeType} at {node.Start}"),
    };

    private static Dictionary<string, YamlMappingNode> GitLabJobs(YamlMappingNode root) =>
        root.Children.Where(p => Scalar(p.Key) is var key && !GitLabKeywords.Contains(key) && !key.StartsWith('.'))
            .ToDictionary(p => Scalar(p.Key), p => Assert.IsType<YamlMappingNode>(p.Value));

    private static Dictionary<string, string[]> GitLabScripts(YamlMappingNode root) =>
        GitLabJobs(root).ToDictionary(j => j.Key, j => ScriptLines(Child(j.Value, "before_script")).Concat(ScriptLines(Child(j.Value, "script"))).ToArray());

    private static Dictionary<string, string[]> GitHubScripts(YamlMappingNode root) =>
        Assert.IsType<YamlMappingNode>(Child(root, "jobs")).Children.ToDictionary(
            j => Scalar(j.Key),
            j => Assert.IsType<YamlSequenceNode>(Child((YamlMappingNode)j.Value, "steps")).Children.Cast<YamlMappingNode>()
                .Select(s => Child(s, "run")).OfType<YamlScalarNode>().Select(r => r.Value!).ToArray());

    private static Dictionary<string, CiCommandLine> OrchestrateCommands(Dictionary<string, string[]> scripts) =>
        scripts.Select(j => (Job: j.Key, Commands: j.Value.SelectMany(CiCommandLine.Find).ToList()))
            .Where(j => j.Commands.Count > 0)
            .ToDictionary(j => j.Job, j => Assert.Single(j.Commands));

    [Fact]
    public void GitLab_jobs_each_have_a_declared_stage_an_image_and_a_script()
    {
        var root = Load(".gitlab-ci.yml");
        var stages = Assert.IsType<YamlSequenceNode>(Child(root, "stages")).Children.Select(Scalar).ToList();
        var jobs = GitLabJobs(root);

        Assert.Equal(["images", "images-in-cluster", "regcred"], jobs.Keys.Order());
        foreach (var (name, job) in jobs)
        {
            Assert.True(stages.Contains(Scalar(Child(job, "stage"))), $"job {name}: its stage is not in stages");
            var image = Child(job, "image");
            Assert.True(image is YamlScalarNode { Value.Length: > 0 } || image is YamlMappingNode m && Child(m, "name") is YamlScalarNode, $"job {name}: no image");
            Assert.NotEmpty(ScriptLines(Child(job, "script")));
        }
    }

    [Fact]
    public void GitHub_workflow_has_triggers_and_jobs_with_a_runner_and_steps_that_use_or_run()
    {
        var root = Load("github-actions.yml");
        Assert.IsType<YamlMappingNode>(Child(root, "on"));
        var jobs = Assert.IsType<YamlMappingNode>(Child(root, "jobs"));

        Assert.Equal(["images", "images-in-cluster"], jobs.Children.Keys.Select(Scalar));
        foreach (var (key, value) in jobs.Children)
        {
            var job = Assert.IsType<YamlMappingNode>(value);
            Assert.True(Child(job, "runs-on") is YamlScalarNode or YamlSequenceNode, $"job {Scalar(key)}: no runs-on");
            var steps = Assert.IsType<YamlSequenceNode>(Child(job, "steps"));
            Assert.NotEmpty(steps.Children);
            Assert.All(steps.Children.Cast<YamlMappingNode>(), step => Assert.True((Child(step, "uses") is null) != (Child(step, "run") is null), $"job {Scalar(key)}: a step at {step.Start} needs exactly one of uses and run"));
        }
    }

    [Theory]
    [InlineData(".gitlab-ci.yml")]
    [InlineData("github-actions.yml")]
    public void Every_orchestrate_command_uses_flags_the_cli_accepts_and_one_job_builds_in_the_cluster(string file)
    {
        var root = Load(file);
        var commands = OrchestrateCommands(file == ".gitlab-ci.yml" ? GitLabScripts(root) : GitHubScripts(root));

        Assert.Equal(["images", "images-in-cluster"], commands.Keys.Order());
        foreach (var (job, command) in commands)
            Assert.True(command.Problems().Count == 0, $"{file}, job {job}: {command.Text}\n{string.Join("\n", command.Problems())}");
        Assert.Equal("local", commands["images"].Value("--backend"));
        Assert.Equal("kubernetes", commands["images-in-cluster"].Value("--backend"));
        Assert.Equal("regcred", commands["images-in-cluster"].Value("--push-secret"));
        Assert.NotNull(commands["images-in-cluster"].Value("--executor-image"));
    }

    [Theory]
    [InlineData(".gitlab-ci.yml")]
    [InlineData("github-actions.yml")]
    public void Registry_credentials_go_into_a_private_docker_config_and_are_never_echoed(string file)
    {
        var root = Load(file);
        var lines = (file == ".gitlab-ci.yml" ? GitLabScripts(root) : GitHubScripts(root)).Values.SelectMany(s => s).SelectMany(s => s.Split('\n')).ToList();

        Assert.Contains(lines, l => l.Contains("umask 077"));
        Assert.Contains(lines, l => l.Contains("PASSWORD") && l.Contains("> \"$HOME/.docker/config.json\""));
        Assert.DoesNotContain(lines, l => l.Contains("PASSWORD") && (l.TrimStart().StartsWith("echo") || l.Contains("| tee")));
        Assert.DoesNotContain(lines, l => l.Contains("set -x"));
        Assert.Contains(lines, l => l.Contains("create secret generic regcred --type=kubernetes.io/dockerconfigjson --from-file=.dockerconfigjson="));
    }

    [Fact]
    public void The_flag_check_rejects_a_flag_the_cli_does_not_have()
    {
        var command = Assert.Single(CiCommandLine.Find("dotnet orchestrate build.csx --backend kubernetes --no-such-flag x && echo done"));
        Assert.Equal(["build.csx", "--backend", "kubernetes", "--no-such-flag", "x"], command.Arguments);
        Assert.Contains(command.Problems(), p => p.Contains("--no-such-flag"));
    }

    [Fact]
    public void The_flag_check_reads_folded_lines_quotes_and_ci_expressions_as_the_shell_would()
    {
        var command = Assert.Single(CiCommandLine.Find("dotnet orchestrate build.csx \\\n  --build-arg \"VERSION=${{ github.sha }}\" --cache-repo '$REGISTRY/cache' # comment"));
        Assert.Equal(["build.csx", "--build-arg", "VERSION=EXPRESSION", "--cache-repo", "$REGISTRY/cache"], command.Arguments);
        Assert.Empty(command.Problems());
    }
}
