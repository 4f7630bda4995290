// The repository's own recipe: the executor image — `dotnet orchestrate executor` with Kaniko's flags,
// runnable as a Kubernetes Job in place of Kaniko's image.
//
//   dotnet publish src/Orchestrator.Cli -c Release -o artifacts/executor
//   dotnet orchestrate build.csx --build-arg REGISTRY=registry.example.com/tools
//
// The runtime base comes from a registry (RUNTIME_IMAGE); util-linux provides `unshare` for the
// step sandbox.

var registry = Arg("REGISTRY", "localhost:5000/orchestrator");
var version = Arg("VERSION", "dev");
var runtime = Arg("RUNTIME_IMAGE", "mcr.microsoft.com/dotnet/runtime:10.0-bookworm-slim");

var executor = Image("executor")
    .From(runtime)
    .Run("apt-get update && apt-get install -y --no-install-recommends util-linux ca-certificates && rm -rf /var/lib/apt/lists/*")
    .Context("artifacts/executor")
    .Copy(".", "/orchestrator/")
    .Env("DOCKER_CONFIG", "/kaniko/.docker")
    .Workdir("/workspace")
    .Label("org.opencontainers.image.title", "orchestrator executor")
    .Label("org.opencontainers.image.version", version)
    .Entrypoint("dotnet", "/orchestrator/dotnet-orchestrate.dll", "executor")
    .CacheRepo($"{registry}/cache")
    .Destination($"{registry}/executor:{version}");

Target("default", executor);
