// The repository's own recipe: the executor image — `dotnet orchestrate executor` with Kaniko's flags,
// runnable as a Kubernetes Job in place of Kaniko's image.
//
//   dotnet publish src/Orchestrator.Cli -c Release -r linux-x64 -p:OrchestratorExecutorOnly=true -o artifacts/executor
//   dotnet orchestrate build.csx --build-arg REGISTRY=registry.example.com/tools
//
// Every Job starts a fresh executor process, so the image gets the CLI's executor build: one native program
// compiled ahead of time (Native AOT, which needs clang and zlib1g-dev where it is published), with the `executor`
// and `k8s fetch-context` commands only. It starts and builds with about a third of the CPU of a .NET runtime
// process. Use -r linux-arm64 for arm64 nodes.
//
// RUNTIME_IMAGE is the base: .NET's runtime-deps (the native libraries a .NET program needs: glibc, OpenSSL); for a
// framework-dependent publish (no -r or -p), a .NET 10 runtime image instead, whose `dotnet` the entrypoint
// (the published app host, /orchestrator/dotnet-orchestrate) finds at /usr/share/dotnet. PACKAGES are installed on it with apt-get:
// util-linux provides `unshare` for the step sandbox, ca-certificates the trust store of registry TLS; pass
// --build-arg PACKAGES= for a base that has them already. EXECUTOR_FILES is the published CLI.

var registry = Arg("REGISTRY", "localhost:5000/orchestrator");
var version = Arg("VERSION", "dev");
var runtime = Arg("RUNTIME_IMAGE", "mcr.microsoft.com/dotnet/runtime-deps:10.0-bookworm-slim");
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
    .Entrypoint("/orchestrator/dotnet-orchestrate", "executor")
    .CacheRepo($"{registry}/cache")
    .Destination($"{registry}/executor:{version}");

Target("default", executor);
