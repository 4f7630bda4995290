using System.Text.RegularExpressions;
using Orchestrator.Cli;

namespace Orchestrator.Tests.Caching;

/// <summary>
/// One build through the CLI for the cache tests, and what it printed. Which steps ran is read from the RUN markers
/// (a RUN prints the result of shell arithmetic, <c>ran-4</c> for step 4, which its step line does not contain) and
/// which were taken from the cache from the CACHED step lines.
/// </summary>
public sealed partial record CacheBuildRun(int ExitCode, string Output, string Error, string? Digest)
{
    /// <summary>
    /// The cache tests' app image: eight steps on a busybox base (ARG BUSYBOX), two of them RUN steps that print their
    /// markers (steps 4 and 6), a <c>.dockerignore</c>d file beside the copied sources.
    /// </summary>
    public const string EightSteps = """
        ARG BUSYBOX
        FROM ${BUSYBOX}
        ARG FLAVOUR=plain
        ENV APP=/app
        COPY manifest.txt /app/
        RUN echo "ran-$((2+2))" && cat /app/manifest.txt > /app/deps.txt
        COPY src/ /app/src/
        RUN echo "ran-$((3+3)) $FLAVOUR" && ls /app/src > /app/listing.txt
        LABEL stage=test
        CMD ["/bin/sh"]
        """;

    /// <summary>The files of <see cref="EightSteps"/>'s context.</summary>
    public static readonly (string Path, string Content)[] EightStepFiles =
        [("manifest.txt", "deps: 1\n"), ("src/a.txt", "a"), ("src/b.txt", "b"), ("src/notes.md", "notes"), (".dockerignore", "src/notes.md\n")];

    public static async Task<CacheBuildRun> StartAsync(string[] arguments, string? digestFile = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync(arguments, stdout, stderr);
        var digest = digestFile is not null && File.Exists(digestFile) ? File.ReadAllText(digestFile).Trim() : null;
        return new CacheBuildRun(code, stdout.ToString(), stderr.ToString(), digest);
    }

    /// <summary>Runs the build and fails the test, with everything it printed, unless it succeeded.</summary>
    public static async Task<CacheBuildRun> SucceedAsync(string[] arguments, string? digestFile = null)
    {
        var run = await StartAsync(arguments, digestFile);
        Assert.True(run.ExitCode == ExitCodes.Ok, $"build failed ({run.ExitCode}):\nstdout:\n{run.Output}\nstderr:\n{run.Error}");
        return run;
    }

    /// <summary>The steps of node <c>image</c> whose RUN printed its marker.</summary>
    public List<int> RanSteps => RanMarker().Matches(Output).Select(m => int.Parse(m.Groups[1].Value)).ToList();

    /// <summary>The steps of node <c>image</c> taken from the cache.</summary>
    public List<int> CachedSteps => CachedLine().Matches(Output).Select(m => int.Parse(m.Groups[1].Value)).ToList();

    [GeneratedRegex(@"^\[image\] ran-(\d+)", RegexOptions.Multiline)]
    private static partial Regex RanMarker();

    [GeneratedRegex(@"^\[image\] step (\d+)/\d+: CACHED ", RegexOptions.Multiline)]
    private static partial Regex CachedLine();
}
