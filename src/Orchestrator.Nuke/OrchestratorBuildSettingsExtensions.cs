using Orchestrator.Hosting;
using Orchestrator.Planning;

namespace Orchestrator.Nuke;

/// <summary>Nuke-style fluent setters: each returns a changed copy (<c>Set</c>, <c>Reset</c>, <c>Enable</c>, <c>Disable</c>, <c>Add</c>, <c>Clear</c>).</summary>
public static class OrchestratorBuildSettingsExtensions
{
    private static readonly BuildSettings s_defaults = new();

    private static OrchestratorBuildSettings With(this OrchestratorBuildSettings settings, Func<BuildSettings, BuildSettings> change) =>
        settings with { Build = change(settings.Build) };

    /// <summary>The build script (<c>build.csx</c>, relative to the working directory).</summary>
    public static OrchestratorBuildSettings SetScript(this OrchestratorBuildSettings settings, string script) => settings.With(b => b with { ScriptPath = script });

    public static OrchestratorBuildSettings ResetScript(this OrchestratorBuildSettings settings) => settings.With(b => b with { ScriptPath = s_defaults.ScriptPath });

    /// <summary>Targets or recipe names to build (default: every image).</summary>
    public static OrchestratorBuildSettings SetTargets(this OrchestratorBuildSettings settings, params string[] targets) => settings.With(b => b with { Targets = [.. targets] });

    public static OrchestratorBuildSettings AddTargets(this OrchestratorBuildSettings settings, params string[] targets) => settings.With(b => b with { Targets = [.. b.Targets, .. targets] });

    public static OrchestratorBuildSettings ClearTargets(this OrchestratorBuildSettings settings) => settings.With(b => b with { Targets = [] });

    /// <summary><c>local</c> or <c>kubernetes</c>.</summary>
    public static OrchestratorBuildSettings SetBackend(this OrchestratorBuildSettings settings, string backend) => settings.With(b => b with { Backend = backend });

    public static OrchestratorBuildSettings ResetBackend(this OrchestratorBuildSettings settings) => settings.With(b => b with { Backend = s_defaults.Backend });

    /// <summary>A value for the script's <c>Arg("NAME")</c>.</summary>
    public static OrchestratorBuildSettings AddBuildArg(this OrchestratorBuildSettings settings, string name, string value) =>
        settings.With(b => b with { BuildArgs = new Dictionary<string, string>(b.BuildArgs, StringComparer.Ordinal) { [name] = value } });

    public static OrchestratorBuildSettings SetBuildArgs(this OrchestratorBuildSettings settings, IReadOnlyDictionary<string, string> buildArgs) =>
        settings.With(b => b with { BuildArgs = new Dictionary<string, string>(buildArgs, StringComparer.Ordinal) });

    public static OrchestratorBuildSettings ClearBuildArgs(this OrchestratorBuildSettings settings) => settings.With(b => b with { BuildArgs = new Dictionary<string, string>() });

    /// <summary>Cache repository for every recipe (overrides <c>.CacheRepo(...)</c>).</summary>
    public static OrchestratorBuildSettings SetCacheRepo(this OrchestratorBuildSettings settings, string reference) => settings.With(b => b with { CacheRepo = reference });

    public static OrchestratorBuildSettings ResetCacheRepo(this OrchestratorBuildSettings settings) => settings.With(b => b with { CacheRepo = null });

    /// <summary>Local cache folder (default <c>$XDG_CACHE_HOME/orchestrator</c>).</summary>
    public static OrchestratorBuildSettings SetCacheDirectory(this OrchestratorBuildSettings settings, string folder) => settings.With(b => b with { CacheDirectory = folder });

    public static OrchestratorBuildSettings ResetCacheDirectory(this OrchestratorBuildSettings settings) => settings.With(b => b with { CacheDirectory = null });

    public static OrchestratorBuildSettings EnableNoCache(this OrchestratorBuildSettings settings) => settings.With(b => b with { NoCache = true });

    public static OrchestratorBuildSettings DisableNoCache(this OrchestratorBuildSettings settings) => settings.With(b => b with { NoCache = false });

    /// <summary>Build without pushing to the recipes' destinations.</summary>
    public static OrchestratorBuildSettings EnableNoPush(this OrchestratorBuildSettings settings) => settings.With(b => b with { NoPush = true });

    public static OrchestratorBuildSettings DisableNoPush(this OrchestratorBuildSettings settings) => settings.With(b => b with { NoPush = false });

    /// <summary>Also write the image as an OCI layout (a folder) or docker-archive (<c>.tar</c>); <c>PATH/NAME</c> each for several images.</summary>
    public static OrchestratorBuildSettings SetOutput(this OrchestratorBuildSettings settings, string path) => settings.With(b => b with { Output = path });

    public static OrchestratorBuildSettings ResetOutput(this OrchestratorBuildSettings settings) => settings.With(b => b with { Output = null });

    /// <summary>Stage nodes that run at once.</summary>
    public static OrchestratorBuildSettings SetJobs(this OrchestratorBuildSettings settings, int jobs) =>
        jobs < 1 ? throw new OrchestratorException($"SetJobs({jobs}): at least 1 node must run at once") : settings.With(b => b with { Jobs = jobs });

    public static OrchestratorBuildSettings ResetJobs(this OrchestratorBuildSettings settings) => settings.With(b => b with { Jobs = s_defaults.Jobs });

    /// <summary>Pin every time in layers and config to <c>SOURCE_DATE_EPOCH</c>, else the Unix epoch.</summary>
    public static OrchestratorBuildSettings EnableReproducible(this OrchestratorBuildSettings settings) => settings.With(b => b with { Reproducible = true });

    public static OrchestratorBuildSettings DisableReproducible(this OrchestratorBuildSettings settings) => settings.With(b => b with { Reproducible = false });

    /// <summary>A registry reached over plain HTTP (loopback registries always are).</summary>
    public static OrchestratorBuildSettings AddInsecureRegistry(this OrchestratorBuildSettings settings, string host) =>
        settings.With(b => b with { InsecureRegistries = [.. b.InsecureRegistries, host] });

    /// <summary>Platform of the bases (<c>os/arch[/variant]</c>) for recipes that do not name one.</summary>
    public static OrchestratorBuildSettings SetPlatform(this OrchestratorBuildSettings settings, string platform) => settings.With(b => b with { Platform = platform });

    public static OrchestratorBuildSettings ResetPlatform(this OrchestratorBuildSettings settings) => settings.With(b => b with { Platform = null });

    /// <summary>Where node progress goes (default: plain lines on standard output).</summary>
    public static OrchestratorBuildSettings SetObserver(this OrchestratorBuildSettings settings, IBuildObserver observer) => settings.With(b => b with { Observer = observer });

    /// <summary>Progress as plain lines to <paramref name="logger"/> (Nuke: <c>line =&gt; Log.Information(line)</c>).</summary>
    public static OrchestratorBuildSettings SetLogger(this OrchestratorBuildSettings settings, Action<string> logger) => settings with { Logger = logger };
}
