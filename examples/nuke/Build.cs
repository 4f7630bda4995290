// A Nuke build target that builds this repository's images with Orchestrator. Not compiled here: Nuke.Common is
// not on this project's package feed (see README.md beside this file). In a Nuke build project, reference
// src/Orchestrator.Nuke (or its package) and add this target to your Build class.
using Nuke.Common;
using Orchestrator.Nuke;
using Serilog;

class Build : NukeBuild
{
    public static int Main() => Execute<Build>(x => x.Images);

    [Parameter("Registry to push to, e.g. registry.example.com/shop")]
    readonly string Registry = "localhost:5000/shop";

    Target Images => _ => _
        .Executes(() =>
        {
            var report = OrchestratorTasks.Build(s => s
                .SetScript(RootDirectory / "build.csx")
                .AddBuildArg("REGISTRY", Registry)
                .SetCacheRepo($"{Registry}/cache")
                .SetLogger(line => Log.Information("{Line}", line)));

            foreach (var image in report.Images)
                Log.Information("{Image} {Digest}", image.Name, image.Digest);
        });

    Target Plan => _ => _
        .Executes(() => Log.Information("{Plan}", OrchestratorTasks.Plan(s => s.SetScript(RootDirectory / "build.csx")).Render()));
}
