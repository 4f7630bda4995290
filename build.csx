// The repository's own recipe: the executor image — `dotnet orchestrate executor` with Kaniko's flags,
// runnable as a Kubernetes Job in place of Kaniko's image.
//
//   dotnet publish src/Orchestrator.Cli -c Release -o artifacts/executor
//   dotnet orchestrate build.csx --build-arg REGISTRY=registry.example.com/tools
//
// RUNTIME_IMAGE is the base: a .NET 10 runtime (`dotnet` on PATH). PACKAGES are installed on it with apt-get:
// util-linux provides `unshare` for the step sandbox, ca-certificates the trust store of registry TLS; pass
// --build-arg PACKAGES= for a base that has them already. EXECUTOR_FILES is the published CLI.

var registry = Arg("REGISTRY", "localhost:5000/orchestrator");
var version = Arg("VERSION", "dev");
var runtime = Arg("RUNTIME_IMAGE", "mcr.microsoft.com/dotnet/runtime:10.0-bookworm-slim");
var packages = Arg("PACKAGES", "util-linux ca-certificates");
var files = Arg("EXECUTOR_FILES", "artifacts/executor");

var executor = Image("executor").From(runtime);
if (packages.Trim().Length > 0)
    executor.Run($"apt-get update && apt-get install -y --no-install-recommends {packages} && rm -rf /var/lib/apt/lists/*");
executor
    .Context(files)
    .Copy(".", "/orchestrator/")
    .Env("DOCKER_CONFIG", "/kaniko/.docker")
    .Workdir("/workspace")
    .Label("org.opencontainers.image.title", "orchestrator executor")
    .Label("org.opencontainers.image.version", version)
    .Entrypoint("dotnet", "/orchestrator/dotnet-orchestrate.dll", "executor")
    .CacheRepo($"{registry}/cache")
    .Destination($"{registry}/executor:{version}");

Target("default", executor);
