using Orchestrator.Dockerfiles;
using Orchestrator.Recipes;

namespace Orchestrator.Tests.Dockerfiles;

/// <summary>
/// Our parser and renderer against buildah's Dockerfile implementation: the image config buildah writes for a
/// Dockerfile must hold the values our model has for it (scratch bases, no RUN, so everything stays offline).
/// </summary>
public sealed class DockerfileBuildahOracleTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("orchestrator-buildah-dockerfile-");

    public void Dispose() => Orchestrator.Testing.TreeDeleter.Delete(_work.FullName);

    private string Context(string dockerfile, params string[] files)
    {
        var context = Directory.CreateDirectory(Path.Combine(_work.FullName, "context-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        File.WriteAllText(Path.Combine(context, "Dockerfile"), dockerfile);
        foreach (var file in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(context, file))!);
            File.WriteAllText(Path.Combine(context, file), file);
        }
        return context;
    }

    [Fact]
    public async Task Expansion_and_scoping_match_buildah()
    {
        const string text = """
            ARG GLOBAL=g1
            ARG HIDDEN=h
            FROM scratch
            ARG GLOBAL
            ARG A=1 B="two words"
            ENV A=env-wins
            ARG D=$A
            ENV E=$A-${B}-${MISSING:-fallback}-${A:+set} F='single $quoted' G=\$literal H="dq \"x\" \$y"
            ENV LEG legacy  value
            ENV J=[$GLOBAL][$HIDDEN] K=$D L=$E
            LABEL l1="My App" l2=$B "l 3"=x
            WORKDIR /w/${A}
            WORKDIR sub
            USER ${B:+u}:${MISSING:-0}
            EXPOSE ${PORT:-8080}/tcp 53/udp
            STOPSIGNAL SIG${SIG:-TERM}
            VOLUME /data/$A
            COPY ["$B.txt", "/dst/"]
            """;
        var context = Context(text, "two words.txt");
        var image = await new BuildahOracle(_work.FullName).BuildAsync(context, "expansion:1");
        var stage = DockerfileParser.Parse(text, Path.Combine(context, "Dockerfile"), new Dictionary<string, string>()).Stages.Single();

        var env = new List<string>();
        foreach (var variable in stage.Instructions.OfType<EnvInstruction>().SelectMany(e => e.Variables))
        {
            env.RemoveAll(e => e.StartsWith(variable.Key + "=", StringComparison.Ordinal));
            env.Add($"{variable.Key}={variable.Value}");
        }
        Assert.Equal(image.Strings("Env").Where(e => !e.StartsWith("PATH=", StringComparison.Ordinal)).Order(), env.Order());
        Assert.Contains("J=[g1][]", env);

        var labels = image.Map("Labels");
        labels.Remove("io.buildah.version");
        Assert.Equal(labels.OrderBy(l => l.Key), stage.Instructions.OfType<LabelInstruction>().SelectMany(l => l.Labels).OrderBy(l => l.Key));

        var workdirs = stage.Instructions.OfType<WorkdirInstruction>().Select(w => w.Path).ToList();
        Assert.Equal(["/w/env-wins", "sub"], workdirs);
        Assert.Equal(image.String("WorkingDir"), workdirs[0] + "/" + workdirs[1]);
        Assert.Equal(image.String("User"), stage.Instructions.OfType<UserInstruction>().Single().User);
        Assert.Equal(image.Keys("ExposedPorts"), stage.Instructions.OfType<ExposeInstruction>().Single().Ports.Order());
        Assert.Equal(image.String("StopSignal"), stage.Instructions.OfType<StopSignalInstruction>().Single().Signal);
        Assert.Equal(image.Keys("Volumes"), stage.Instructions.OfType<VolumeInstruction>().Single().Paths);
        var copy = stage.Instructions.OfType<CopyInstruction>().Single();
        Assert.Equal(image.Files, copy.Sources.Select(s => copy.Destination.TrimStart('/') + s));
    }

    /// <summary>
    /// ARG values are left out on purpose: BuildKit 0.11 carries them into a stage built FROM the stage and buildah does
    /// not; BuildKit is the reference (BuildKitParityTests and Kaniko's test_multistage_args_issue_1911 check it).
    /// </summary>
    [Fact]
    public async Task A_stage_built_from_a_stage_inherits_env_like_buildah()
    {
        const string text = """
            FROM scratch AS base
            ENV ROOT=/srv
            COPY a.txt /a.txt

            FROM base
            WORKDIR $ROOT/[x]
            COPY --from=0 /a.txt /copied/
            ENV FROM_BASE=$ROOT
            """;
        var context = Context(text, "a.txt");
        var image = await new BuildahOracle(_work.FullName).BuildAsync(context, "stages:1");
        var document = DockerfileParser.Parse(text, Path.Combine(context, "Dockerfile"), new Dictionary<string, string>());

        var final = document.Stages[1];
        Assert.Equal(new ImageSource.Stage("base"), final.Base);
        Assert.Equal(image.String("WorkingDir"), final.Instructions.OfType<WorkdirInstruction>().Single().Path);
        Assert.Equal(new ImageSource.Stage("base"), final.Instructions.OfType<CopyInstruction>().Single().From);
        Assert.Contains("FROM_BASE=" + final.Instructions.OfType<EnvInstruction>().Single().Variables[0].Value, image.Strings("Env"));
        Assert.Equal(["a.txt", "copied/a.txt"], image.Files);
    }

    [Fact]
    public async Task Rendered_values_reach_buildah_unchanged()
    {
        string[] tricky = ["two words", "say \"hi\"", "it's", "$HOME", "${X:-y}", "C:\\dir\\", "100%", "a=b", "tab\there", "ünïcødé"];
        var instructions = new List<Instruction>
        {
            new EnvInstruction(tricky.Select((v, i) => new KeyValuePair<string, string>("V" + i, v)).ToEquatableArray()),
            new LabelInstruction(tricky.Select((v, i) => new KeyValuePair<string, string>("label." + i, v)).ToEquatableArray()),
            new WorkdirInstruction("/my dir/$x"),
            new UserInstruction("app user"),
            new ExposeInstruction(["80/tcp", "53/udp"]),
            new StopSignalInstruction("SIGQUIT"),
            new VolumeInstruction(["/data dir", "/cache$1"]),
            new CopyInstruction(["my $file.txt", "plain.txt"], "/dst dir/"),
            new HealthcheckInstruction(Command.Exec("curl", "-f", "http://localhost/")) { Interval = TimeSpan.FromSeconds(90), Timeout = TimeSpan.FromSeconds(5), StartPeriod = TimeSpan.FromMilliseconds(500), Retries = 2 },
            new OnbuildInstruction("RUN echo \"$HOME\""),
            new CmdInstruction(Command.Exec(tricky)),
            new EntrypointInstruction(Command.Exec("/bin/app", "--name=$NAME", "a \"b\"")),
        };
        var stage = new StageRecipe("oracle/render", false, ImageSource.Scratch.Instance, instructions.ToEquatableArray(), SourceLocation.Unknown);
        var context = Context(DockerfileRenderer.Render(stage), "my $file.txt", "plain.txt");
        var image = await new BuildahOracle(_work.FullName).BuildAsync(context, "render:1");

        Assert.Equal(tricky.Select((v, i) => $"V{i}={v}"), image.Strings("Env").Where(e => !e.StartsWith("PATH=", StringComparison.Ordinal)));
        var labels = image.Map("Labels");
        Assert.Equal(tricky, Enumerable.Range(0, tricky.Length).Select(i => labels["label." + i]));
        Assert.Equal("/my dir/$x", image.String("WorkingDir"));
        Assert.Equal("app user", image.String("User"));
        Assert.Equal(["53/udp", "80/tcp"], image.Keys("ExposedPorts"));
        Assert.Equal("SIGQUIT", image.String("StopSignal"));
        Assert.Equal(["/cache$1", "/data dir"], image.Keys("Volumes"));
        Assert.Equal(["dst dir/my $file.txt", "dst dir/plain.txt"], image.Files);
        Assert.Equal(["RUN echo \"$HOME\""], image.Strings("OnBuild"));
        Assert.Equal(tricky, image.Strings("Cmd"));
        Assert.Equal(["/bin/app", "--name=$NAME", "a \"b\""], image.Strings("Entrypoint"));

        var healthcheck = image.Config.GetProperty("Healthcheck");
        Assert.Equal(["CMD", "curl", "-f", "http://localhost/"], healthcheck.GetProperty("Test").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(90_000_000_000L, healthcheck.GetProperty("Interval").GetInt64());
        Assert.Equal(5_000_000_000L, healthcheck.GetProperty("Timeout").GetInt64());
        Assert.Equal(500_000_000L, healthcheck.GetProperty("StartPeriod").GetInt64());
        Assert.Equal(2, healthcheck.GetProperty("Retries").GetInt32());
    }
}
