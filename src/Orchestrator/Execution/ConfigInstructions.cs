using Orchestrator.Oci.Documents;
using Orchestrator.Recipes;

namespace Orchestrator.Execution;

/// <summary>
/// Applies the metadata steps of a stage (ENV, USER, CMD, …) to an image config the way Docker does,
/// including its quirks: ENTRYPOINT clears a CMD inherited from the base, shell forms run through
/// the current SHELL, relative WORKDIRs build on the previous one, EXPOSE defaults to tcp.
/// </summary>
public static class ConfigInstructions
{
    public static readonly IReadOnlyList<string> DefaultShell = ["/bin/sh", "-c"];

    /// <summary>The Env entry of Docker's PATH for Linux when the image sets none.</summary>
    public const string DefaultPath = "PATH=" + ContainerConfig.DefaultPath;

    /// <summary>A base config as a stage starts from it: BuildKit gives every stage Docker's PATH when its base sets none.</summary>
    public static ImageConfig WithDefaultPath(ImageConfig config)
    {
        var container = config.Config ?? new ContainerConfig();
        var env = container.Env ?? [];
        return env.Any(e => e.StartsWith("PATH=", StringComparison.Ordinal)) ? config with { Config = container } : config with { Config = container with { Env = [.. env, DefaultPath] } };
    }

    /// <summary>The state that steps of one stage share while it is built.</summary>
    public sealed record StageState(ImageConfig Config, bool CmdSetInStage = false)
    {
        public ContainerConfig Container => Config.Config ?? new ContainerConfig();

        public IReadOnlyList<string> Shell => Container.Shell is { Count: > 0 } shell ? shell : DefaultShell;

        public string WorkingDir => string.IsNullOrEmpty(Container.WorkingDir) ? "/" : Container.WorkingDir;
    }

    /// <summary>True for steps that only change the config (they never add a layer).</summary>
    public static bool IsMetadataOnly(Instruction instruction) => instruction is
        EnvInstruction or ArgInstruction or UserInstruction or LabelInstruction or ExposeInstruction or VolumeInstruction
        or EntrypointInstruction or CmdInstruction or HealthcheckInstruction or StopSignalInstruction or ShellInstruction or OnbuildInstruction or MaintainerInstruction;

    /// <summary>Applies one metadata step; WORKDIR is applied here too (the folder itself is made by the executor).</summary>
    public static StageState Apply(StageState state, Instruction instruction)
    {
        var c = state.Container;
        var config = instruction switch
        {
            EnvInstruction env => c with { Env = SetEnv(c.Env, env.Variables) },
            UserInstruction user => c with { User = user.User },
            WorkdirInstruction workdir => c with { WorkingDir = ResolveWorkdir(state.WorkingDir, workdir.Path) },
            LabelInstruction label => c with { Labels = Merge(c.Labels, label.Labels) },
            ExposeInstruction expose => c with { ExposedPorts = AddKeys(c.ExposedPorts, expose.Ports.SelectMany(ExposedPort.Expand)) },
            VolumeInstruction volume => c with { Volumes = AddKeys(c.Volumes, volume.Paths) },
            EntrypointInstruction entrypoint => c with
            {
                Entrypoint = ToArgv(entrypoint.Command, state.Shell),
                Cmd = state.CmdSetInStage ? c.Cmd : null,
            },
            CmdInstruction cmd => c with { Cmd = ToArgv(cmd.Command, state.Shell) },
            HealthcheckInstruction health => c with { Healthcheck = ToHealthcheck(health, state.Shell) },
            StopSignalInstruction signal => c with { StopSignal = signal.Signal },
            ShellInstruction shell => c with { Shell = shell.Shell.ToList() },
            OnbuildInstruction onbuild => c with { OnBuild = [.. c.OnBuild ?? [], onbuild.Trigger] },
            _ => c,
        };
        return state with
        {
            Config = state.Config with { Config = config, Author = instruction is MaintainerInstruction m ? m.Maintainer : state.Config.Author },
            CmdSetInStage = state.CmdSetInStage || instruction is CmdInstruction,
        };
    }

    /// <summary>The environment a RUN step sees: the image's Env plus the stage's build args (Env wins).</summary>
    public static IReadOnlyList<string> RunEnvironment(StageState state, IReadOnlyDictionary<string, string> args)
    {
        var env = state.Container.Env ?? [];
        var names = env.Select(e => e.Split('=', 2)[0]).ToHashSet(StringComparer.Ordinal);
        var result = args.Where(a => !names.Contains(a.Key)).Select(a => a.Key + "=" + a.Value).ToList();
        result.AddRange(env);
        if (!names.Contains("PATH") && !args.ContainsKey("PATH"))
            result.Add(DefaultPath);
        return result;
    }

    /// <summary>An image Env list (<c>NAME=value</c> entries) as a dictionary; a later duplicate wins, like Docker.</summary>
    public static Dictionary<string, string> ToDictionary(IEnumerable<string> env) =>
        env.Select(e => e.Split('=', 2))
            .GroupBy(p => p[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last().Length > 1 ? g.Last()[1] : "", StringComparer.Ordinal);

    public static string ResolveWorkdir(string current, string path)
    {
        var combined = path.StartsWith('/') ? path : current.TrimEnd('/') + "/" + path;
        var parts = new List<string>();
        foreach (var part in combined.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".") continue;
            if (part == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
            parts.Add(part);
        }
        return "/" + string.Join('/', parts);
    }

    public static IReadOnlyList<string> ToArgv(Command command, IReadOnlyList<string> shell) => command.ToArgv(shell).ToList();

    private static IReadOnlyList<string> SetEnv(IReadOnlyList<string>? env, IEnumerable<KeyValuePair<string, string>> variables)
    {
        var list = (env ?? []).ToList();
        foreach (var (name, value) in variables)
        {
            var index = list.FindIndex(e => e.Split('=', 2)[0] == name);
            if (index >= 0) list[index] = name + "=" + value;
            else list.Add(name + "=" + value);
        }
        return list;
    }

    private static IReadOnlyDictionary<string, string> Merge(IReadOnlyDictionary<string, string>? labels, IEnumerable<KeyValuePair<string, string>> more)
    {
        var merged = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in labels ?? new Dictionary<string, string>()) merged[k] = v;
        foreach (var (k, v) in more) merged[k] = v;
        return merged;
    }

    private static IReadOnlyDictionary<string, EmptyObject> AddKeys(IReadOnlyDictionary<string, EmptyObject>? existing, IEnumerable<string> keys)
    {
        var merged = new SortedDictionary<string, EmptyObject>(StringComparer.Ordinal);
        foreach (var key in existing?.Keys ?? []) merged[key] = EmptyObject.Instance;
        foreach (var key in keys) merged[key] = EmptyObject.Instance;
        return merged;
    }

    private static HealthcheckConfig ToHealthcheck(HealthcheckInstruction health, IReadOnlyList<string> shell)
    {
        if (health.Test is null) return new HealthcheckConfig { Test = ["NONE"] };
        IReadOnlyList<string> test = health.Test.IsShellForm ? ["CMD-SHELL", health.Test.ShellText] : ["CMD", .. health.Test.Arguments];
        return new HealthcheckConfig
        {
            Test = test,
            IntervalNanoseconds = health.Interval is { } i ? HealthcheckConfig.ToNanoseconds(i) : null,
            TimeoutNanoseconds = health.Timeout is { } t ? HealthcheckConfig.ToNanoseconds(t) : null,
            StartPeriodNanoseconds = health.StartPeriod is { } s ? HealthcheckConfig.ToNanoseconds(s) : null,
            StartIntervalNanoseconds = health.StartInterval is { } si ? HealthcheckConfig.ToNanoseconds(si) : null,
            Retries = health.Retries,
        };
    }
}
