using System.Runtime.Versioning;
using System.Text.Json;
using Orchestrator.Cli;
using Orchestrator.Tests.Conformance;

namespace Orchestrator.Tests.Conversion;

/// <summary>
/// <c>dotnet orchestrate convert</c> on every conformance case: the recipe it writes, built by the build command, gives
/// the very image (manifest digest, <c>--reproducible</c>) that the executor builds from the Dockerfile. The two
/// builds use separate cache folders, so neither reuses a step of the other.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ConvertTests(ConformanceEnvironment environment) : IClassFixture<ConformanceEnvironment>
{
    /// <summary>Every case but the two that install packages from the network (their files change with the mirror's).</summary>
    public static IEnumerable<object[]> Cases() =>
        ConformanceCase.AllCases().Where(c => !ConformanceCase.PackageCases.Contains(c)).Select(c => new object[] { c });

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task The_converted_recipe_builds_the_same_image_as_the_dockerfile(string name)
    {
        using var @case = await ConformanceCase.PrepareAsync(name, environment);
        var buildArgs = @case.BuildArgs.SelectMany(a => new[] { "--build-arg", $"{a.Key}={a.Value}" }).ToArray();
        var script = Path.Combine(@case.Folder, "recipe", "build.csx");
        var (code, output) = await OrchestrateAsync(["convert", Path.Combine(@case.Context, "Dockerfile"), "-o", script, "--name", "converted", .. buildArgs]);
        Assert.True(code == ExitCodes.Ok, output);

        var fromDockerfile = Path.Combine(@case.Folder, "from-dockerfile");
        await ExecutorBuild.ToLayoutAsync(@case.Context, fromDockerfile, Path.Combine(@case.Folder, "cache-dockerfile"), [.. buildArgs, "--reproducible"]);
        var fromRecipe = Path.Combine(@case.Folder, "from-recipe");
        (code, output) = await OrchestrateAsync([script, "--output", fromRecipe, "--cache-dir", Path.Combine(@case.Folder, "cache-recipe"), "--reproducible", "--progress", "plain", .. buildArgs]);
        Assert.True(code == ExitCodes.Ok, $"{output}\nrecipe:\n{await File.ReadAllTextAsync(script)}");

        Assert.True(ManifestDigest(fromDockerfile) == ManifestDigest(fromRecipe),
            $"the recipe built another image than the Dockerfile.\nrecipe:\n{await File.ReadAllTextAsync(script)}\nDockerfile config:\n{Config(fromDockerfile)}\nrecipe config:\n{Config(fromRecipe)}");
    }

    [Fact]
    public async Task Comments_stay_above_their_instructions_and_a_global_arg_of_from_stays_an_arg()
    {
        var folder = Directory.CreateTempSubdirectory("orchestrator-convert-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "Dockerfile"), """
                # syntax=docker/dockerfile:1
                ARG BASE=busybox:1.36
                FROM ${BASE} AS build
                # the tool, built once
                RUN echo hi > /hi

                FROM $BASE
                COPY --from=build /hi /hi
                ENV A=1 B="two words"
                CMD echo "$A"
                """);
            var (code, output) = await OrchestrateAsync(["convert", Path.Combine(folder, "Dockerfile")]);
            Assert.True(code == ExitCodes.Ok, output);
            Assert.DoesNotContain("syntax=", output);
            Assert.Contains("var baseArg = Arg(\"BASE\", \"busybox:1.36\");", output);
            Assert.Contains("    .From(baseArg)", output);
            Assert.Contains("    // the tool, built once\n    .Run(\"echo hi > /hi\")", output);
            Assert.Contains(".CopyFrom(build, \"/hi\", \"/hi\")", output);
            Assert.Contains(".Env((\"A\", \"1\"), (\"B\", \"two words\"))", output);
            Assert.Contains(".CmdShell(\"echo \\\"$A\\\"\")", output);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task An_existing_output_is_kept_unless_forced()
    {
        var folder = Directory.CreateTempSubdirectory("orchestrator-convert-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "Dockerfile"), "FROM scratch\nCOPY a /a\n");
            var script = Path.Combine(folder, "build.csx");
            await File.WriteAllTextAsync(script, "// mine\n");
            var (code, output) = await OrchestrateAsync(["convert", Path.Combine(folder, "Dockerfile"), "-o", script]);
            Assert.Equal(ExitCodes.UsageError, code);
            Assert.Contains("--force", output);
            Assert.Equal("// mine\n", await File.ReadAllTextAsync(script));

            (code, output) = await OrchestrateAsync(["convert", Path.Combine(folder, "Dockerfile"), "-o", script, "--force"]);
            Assert.True(code == ExitCodes.Ok, output);
            Assert.Contains(".Copy(\"a\", \"/a\")", await File.ReadAllTextAsync(script));
            Assert.Single(Directory.GetFiles(folder, "build.csx*"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<(int Code, string Output)> OrchestrateAsync(string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, stdout, stderr);
        return (code, stdout + stderr.ToString());
    }

    private static string ManifestDigest(string layout)
    {
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(layout, "index.json")));
        return index.RootElement.GetProperty("manifests")[0].GetProperty("digest").GetString()!;
    }

    private static string Config(string layout)
    {
        var digest = ManifestDigest(layout)["sha256:".Length..];
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(layout, "blobs", "sha256", digest)));
        var config = manifest.RootElement.GetProperty("config").GetProperty("digest").GetString()!["sha256:".Length..];
        return File.ReadAllText(Path.Combine(layout, "blobs", "sha256", config));
    }
}
