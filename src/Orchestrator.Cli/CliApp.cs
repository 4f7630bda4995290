using System.CommandLine;

namespace Orchestrator.Cli;

/// <summary>The <c>dotnet orchestrate</c> command tree.</summary>
public static class CliApp
{
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default) =>
        RunAsync(args, stdout, stderr, Backends.LoadScriptAsync, Backends.Create, cancellationToken);

    internal static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, RecipeLoader loader, ExecutorFactory executors, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("Builds container images from typed C# recipes (build.csx) or Dockerfiles, without a Docker daemon.");
        var rootBuild = new BuildCommand();
        rootBuild.AddTo(root);
        var build = new Command("build", "Build (or with --plan, only plan) the images of a build script. The default command.");
        var buildOptions = new BuildCommand();
        buildOptions.AddTo(build);
        root.Subcommands.Add(build);

        var runner = new BuildRunner(stdout, stderr, loader, executors);
        root.SetAction((result, token) => runner.RunAsync(rootBuild.Read(result), token));
        build.SetAction((result, token) => runner.RunAsync(buildOptions.Read(result), token));

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors) stderr.WriteLine("error: " + error.Message);
            stderr.WriteLine("Run 'dotnet orchestrate --help' for usage.");
            return ExitCodes.UsageError;
        }
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr }, cancellationToken);
    }
}
