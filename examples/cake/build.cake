// An image built from a Cake script with the Orchestrator addin, no Docker daemon: recipes written inline
// (the same builder calls as in build.csx), built by the local builder into an OCI layout.
//
//   dotnet build src/Orchestrator.Cake                  # once: the addin this #r points at
//   dotnet tool restore && dotnet cake examples/cake/build.cake
//   dotnet cake examples/cake/build.cake --target=Plan       # the plan only; nothing runs
//   dotnet cake examples/cake/build.cake --target=Script     # builds examples/hello/build.csx through the addin
#r "../../src/Orchestrator.Cake/bin/Debug/net10.0/Orchestrator.Cake.dll"

var target = Argument("target", "Image");
var output = Argument("output", "out");
var cacheDirectory = Argument<string>("cache-dir", null);

// The recipes, written with the same calls as in a build.csx.
RecipeBuilder DeclareHello()
{
    // A base made from the host's static busybox (Debian busybox-static), so this builds offline.
    var busybox = Stage("busybox")
        .FromScratch()
        .Context("/bin")
        .Copy("busybox", "/bin/busybox", chmod: "0755")
        .Run("/bin/busybox", "--install", "-s", "/bin");

    return Image("hello")
        .From(busybox)
        .Context(".")
        .Copy("hello.sh", "/usr/local/bin/hello", chmod: "0755")
        .Run("mkdir -p /srv && echo built-by-cake > /srv/motd")
        .Env("GREETING", Arg("GREETING", "Hello from Cake"))
        .Workdir("/srv")
        .Entrypoint("/usr/local/bin/hello");
}

Task("Image")
    .Does(() =>
{
    DeclareHello();
    var report = OrchestratorBuild(new OrchestratorSettings
    {
        NoPush = true,
        Output = System.IO.Path.Combine(output, "hello"),
        CacheDirectory = cacheDirectory,
    });
    Information("hello is {0}", report["hello"].Digest);
});

Task("Plan")
    .Does(() =>
{
    // Logs the graph and each step's cache status, like `dotnet orchestrate --plan`; nothing runs.
    DeclareHello();
    OrchestratorPlan(new OrchestratorSettings { NoPush = true, CacheDirectory = cacheDirectory });
});

Task("Script")
    .Does(() =>
{
    // A build.csx evaluated from Cake: the addin compiles it with its own compiler, apart from Cake's.
    var report = OrchestratorBuild("../hello/build.csx", new OrchestratorSettings
    {
        NoPush = true,
        Output = System.IO.Path.Combine(output, "script-hello"),
        CacheDirectory = cacheDirectory,
    });
    Information("hello (build.csx) is {0}", report["hello"].Digest);
});

RunTarget(target);
