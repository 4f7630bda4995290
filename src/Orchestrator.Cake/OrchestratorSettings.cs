using Cake.Core;
using Cake.Core.IO;
using Orchestrator.Hosting;

namespace Orchestrator.Cake;

/// <summary>
/// What <c>OrchestratorBuild</c> and <c>OrchestratorPlan</c> are asked to do; the names are the CLI's flags
/// (<c>Targets</c>, <c>Backend</c>, <c>BuildArgs</c>, <c>CacheRepo</c>, <c>NoPush</c>, <c>Output</c>, <c>Jobs</c>, ...).
/// </summary>
public sealed class OrchestratorSettings
{
    /// <summary>Targets or recipe names to build; empty: every image.</summary>
    public IList<string> Targets { get; set; } = [];

    /// <summary><c>local</c> (the default) or <c>kubernetes</c>.</summary>
    public string Backend { get; set; } = "local";

    /// <summary>Values for the build script's <c>Arg("NAME")</c> (a <c>build.csx</c>; inline recipes read Cake's arguments).</summary>
    public IDictionary<string, string> BuildArgs { get; set; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Cache repository for every recipe (overrides the recipes' <c>.CacheRepo(...)</c>).</summary>
    public string? CacheRepo { get; set; }

    /// <summary>Local cache folder; default <c>$XDG_CACHE_HOME/orchestrator</c>.</summary>
    public DirectoryPath? CacheDirectory { get; set; }

    /// <summary>Neither look up nor reuse cached results.</summary>
    public bool NoCache { get; set; }

    /// <summary>Build without pushing to the recipes' destinations.</summary>
    public bool NoPush { get; set; }

    /// <summary>Also write the image as an OCI layout (a folder) or a docker-archive (<c>.tar</c>); one per image under it when there are several.</summary>
    public string? Output { get; set; }

    /// <summary>Stage nodes that run at once; default the processor count.</summary>
    public int? Jobs { get; set; }

    /// <summary>Pin every time in layers and config to <c>SOURCE_DATE_EPOCH</c>, else the Unix epoch.</summary>
    public bool Reproducible { get; set; }

    /// <summary>Registries reached over plain HTTP (loopback registries always are).</summary>
    public IList<string> InsecureRegistries { get; set; } = [];

    /// <summary>Platform of the bases (<c>os/arch[/variant]</c>) for recipes that do not name one.</summary>
    public string? Platform { get; set; }

    /// <summary>Also log skipped nodes and why.</summary>
    public bool Verbose { get; set; }

    /// <summary>The settings the build host runs with; relative paths resolve against Cake's working directory.</summary>
    internal BuildSettings ToBuildSettings(ICakeContext context, FilePath? script = null)
    {
        var environment = context.Environment;
        var defaults = new BuildSettings();
        return new BuildSettings
        {
            ScriptPath = script?.MakeAbsolute(environment).FullPath ?? defaults.ScriptPath,
            Targets = [.. Targets],
            Backend = Backend,
            BuildArgs = new Dictionary<string, string>(BuildArgs, StringComparer.Ordinal),
            CacheRepo = CacheRepo,
            CacheDirectory = CacheDirectory?.MakeAbsolute(environment).FullPath,
            NoCache = NoCache,
            NoPush = NoPush,
            Output = Output is null ? null : System.IO.Path.GetFullPath(Output, environment.WorkingDirectory.FullPath),
            Jobs = Jobs ?? defaults.Jobs,
            Reproducible = Reproducible,
            InsecureRegistries = [.. InsecureRegistries],
            Platform = Platform,
            Observer = new PlainBuildObserver(line => context.Log.Write(global::Cake.Core.Diagnostics.Verbosity.Normal, global::Cake.Core.Diagnostics.LogLevel.Information, "{0}", line), Verbose),
        };
    }
}
