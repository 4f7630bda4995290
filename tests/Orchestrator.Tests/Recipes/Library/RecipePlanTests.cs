using System.Text.Json;
using Orchestrator.Cli;
using Orchestrator.Dockerfiles;
using Orchestrator.Recipes;

namespace Orchestrator.Tests.Recipes.Library;

/// <summary>
/// The recipes whose toolchain images cannot be had here (the .NET SDK and Go images come from registries
/// this machine does not reach, and a NuGet restore or a Go module download needs more network than Debian's
/// mirror and npm's registry) are checked where they can be: the plan the CLI prints for a build.csx that
/// <c>#load</c>s them, and the Dockerfile the renderer writes for them (what the Kubernetes backend hands
/// a Kaniko-compatible executor), parsed back by our parser.
/// </summary>
[Collection(RecipeLibraryCollection.Name)]
public sealed class RecipePlanTests(RecipeLibraryEnvironment env)
{
    /// <summary>A node of the JSON plan; <see cref="CalledFrom"/> holds each step's root-script call as <c>file:line</c>.</summary>
    private sealed record PlanNode(string Name, string Kind, string Base, string[] Steps, string[] CalledFrom);

    private async Task<(PlanNode[] Nodes, (string From, string To, string Kind)[] Edges)> PlanAsync(string project)
    {
        var run = await env.OrchestrateAsync(Path.Combine(project, "build.csx"), "--plan", "--plan-format", "json", "--no-cache");
        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        using var plan = JsonDocument.Parse(run.Stdout);
        var nodes = plan.RootElement.GetProperty("nodes").EnumerateArray().Select(n => new PlanNode(
            n.GetProperty("name").GetString()!,
            n.GetProperty("kind").GetString()!,
            n.GetProperty("base").TryGetProperty("name", out var name) ? name.GetString()! : n.GetProperty("base").GetProperty("type").GetString()!,
            n.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("text").GetString()!).ToArray(),
            n.GetProperty("steps").EnumerateArray().Select(s => s.TryGetProperty("calledFrom", out var caller)
                ? $"{Path.GetFileName(caller.GetProperty("file").GetString())}:{caller.GetProperty("line").GetInt32()}"
                : "").ToArray())).ToArray();
        var edges = plan.RootElement.GetProperty("edges").EnumerateArray()
            .Select(e => (e.GetProperty("from").GetString()!, e.GetProperty("to").GetString()!, e.GetProperty("kind").GetString()!)).ToArray();
        return (nodes, edges);
    }

    private static int IndexOf(string[] steps, string prefix)
    {
        var index = Array.FindIndex(steps, s => s.StartsWith(prefix, StringComparison.Ordinal));
        Assert.True(index >= 0, $"no step starts with '{prefix}' in:\n{string.Join("\n", steps)}");
        return index;
    }

    [Fact]
    public async Task DotnetApp_plans_a_restore_then_publish_stage_on_the_sdk_and_a_runtime_image()
    {
        var project = env.Project("dotnet-app", new Dictionary<string, string>
        {
            ["build.csx"] = """
                #load "../recipes/dotnet.csx"
                DotnetApp("api", "src/Api/Api.csproj", port: "8080").Output("out/api");
                """,
            ["src/Api/Api.csproj"] = "<Project Sdk=\"Microsoft.NET.Sdk.Web\"><PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup></Project>\n",
            ["src/Api/Program.cs"] = "var app = WebApplication.Create(args); app.MapGet(\"/\", () => \"api\"); app.Run();\n",
        });

        var (nodes, edges) = await PlanAsync(project);

        var build = Assert.Single(nodes, n => n.Name == "api-build");
        var image = Assert.Single(nodes, n => n.Name == "api");
        Assert.Equal(("stage", DotnetRecipes.DefaultSdkImage), (build.Kind, build.Base));
        Assert.Equal(("image", DotnetRecipes.DefaultRuntimeImage), (image.Kind, image.Base));
        Assert.Contains(("api-build", "api", "copy"), edges);
        // Restore sees the project file alone, so a source change keeps the restored packages cached.
        Assert.True(IndexOf(build.Steps, "COPY src/Api/Api.csproj /src/src/Api/Api.csproj") < IndexOf(build.Steps, "RUN dotnet restore /src/src/Api/Api.csproj"));
        Assert.True(IndexOf(build.Steps, "RUN dotnet restore") < IndexOf(build.Steps, "COPY . ./"));
        Assert.True(IndexOf(build.Steps, "COPY . ./") < IndexOf(build.Steps, "RUN dotnet publish /src/src/Api/Api.csproj -c Release --no-restore -o /out"));
        Assert.Contains("USER 10001:10001", image.Steps);
        Assert.Contains("ENTRYPOINT [\"dotnet\", \"/app/Api.dll\"]", image.Steps);
        Assert.Contains("ENV ASPNETCORE_HTTP_PORTS=8080", image.Steps);
        // Every step the recipe file declares names the script's call that led to it.
        Assert.All(build.CalledFrom.Concat(image.CalledFrom), caller => Assert.Equal("build.csx:2", caller));
    }

    [Fact]
    public void DotnetApp_renders_as_a_two_stage_dockerfile_that_parses_back()
    {
        var book = new RecipeBook(env.Work);
        DotnetRecipes.DotnetApp(book, "api", "src/Api/Api.csproj").Output("out/api");
        var set = book.Build();

        var dockerfile = DockerfileRenderer.Render(set.Stages);

        Assert.Contains("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS api-build", dockerfile);
        Assert.Contains("RUN --mount=type=cache,target=/root/.nuget/packages,id=nuget dotnet restore /src/src/Api/Api.csproj", dockerfile);
        Assert.Contains("COPY --from=api-build /out/ ./", dockerfile);
        Assert.EndsWith("ENTRYPOINT [\"dotnet\", \"/app/Api.dll\"]\n", dockerfile);
        var parsed = DockerfileParser.Parse(dockerfile, "Dockerfile", new Dictionary<string, string>());
        Assert.Equal(2, parsed.Stages.Count);
    }

    [Fact]
    public async Task GoApp_plans_a_module_download_before_the_build_and_an_image_with_the_binary_alone()
    {
        var project = env.Project("go-app", new Dictionary<string, string>
        {
            ["build.csx"] = """
                #load "../recipes/go.csx"
                GoApp("gosvc", "svc", package: "./cmd/gosvc").Output("out/gosvc");
                """,
            ["svc/go.mod"] = "module example.com/gosvc\n\ngo 1.23\n",
            ["svc/go.sum"] = "",
            ["svc/cmd/gosvc/main.go"] = "package main\n\nfunc main() { println(\"gosvc\") }\n",
        });

        var (nodes, edges) = await PlanAsync(project);

        var build = Assert.Single(nodes, n => n.Name == "gosvc-build");
        var image = Assert.Single(nodes, n => n.Name == "gosvc");
        Assert.Equal(GoRecipes.DefaultImage, build.Base);
        Assert.Equal("scratch", image.Base);
        Assert.Contains(("gosvc-build", "gosvc", "copy"), edges);
        Assert.True(IndexOf(build.Steps, "COPY go.mod go.sum ./") < IndexOf(build.Steps, "RUN go mod download"));
        Assert.True(IndexOf(build.Steps, "RUN go mod download") < IndexOf(build.Steps, "COPY . ./"));
        Assert.True(IndexOf(build.Steps, "COPY . ./") < IndexOf(build.Steps, "RUN CGO_ENABLED=0 go build -trimpath -ldflags=-s -o /out/app ./cmd/gosvc"));
        Assert.Equal(["COPY --from=gosvc-build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt", "COPY --from=gosvc-build /out/app /app", "USER 10001:10001", "ENTRYPOINT [\"/app\"]"], image.Steps);
    }

    [Fact]
    public void GoApp_renders_with_its_cache_mounts_and_parses_back()
    {
        var book = new RecipeBook(env.Work);
        GoRecipes.GoApp(book, "gosvc", "svc").Output("out/gosvc");

        var dockerfile = DockerfileRenderer.Render(book.Build().Stages);

        Assert.Contains("FROM golang:1.23-bookworm AS gosvc-build", dockerfile);
        Assert.Contains("--mount=type=cache,target=/root/.cache/go-build,id=go-build", dockerfile);
        Assert.Contains("FROM scratch", dockerfile);
        Assert.Equal(2, DockerfileParser.Parse(dockerfile, "Dockerfile", new Dictionary<string, string>()).Stages.Count);
    }

    [Fact]
    public async Task A_recipe_misused_in_a_script_exits_2_naming_the_recipe_and_the_fix()
    {
        var project = env.Project("misused", new Dictionary<string, string>
        {
            ["build.csx"] = """
                #load "../recipes/debian.csx"
                #load "../recipes/dotnet.csx"
                var tools = DebianBase([], name: "tools");
                """,
        });

        var run = await env.OrchestrateAsync(Path.Combine(project, "build.csx"), "--plan");

        Assert.Equal(ExitCodes.UsageError, run.ExitCode);
        Assert.Contains("DebianBase 'tools': no packages given; name at least one", run.Stderr);
    }
}
