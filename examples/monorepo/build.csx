// monorepo: three services and the base stage they share, in one build. One run builds all three and the
// shared stage once; `dotnet orchestrate examples/monorepo/build.csx api` builds only what api needs.
// The recipes come from the repository's library (recipes/), loaded as they are.
#load "../../recipes/busybox.csx"
#load "../../recipes/static-site.csx"

var registry = Arg("REGISTRY", "");
var version = Arg("VERSION", "dev");

// What every service starts from: busybox, the shared shell library and the release file.
var shared = Stage("base")
    .From(BusyboxBase())
    .Context("shared")
    .Copy("log.sh", "/usr/local/lib/log.sh", chmod: "0644")
    .Run($"mkdir -p /etc/monorepo && echo 'release={version}' > /etc/monorepo/release");

// web: the static site, served by busybox httpd (the StaticSite recipe on the shared base).
var web = StaticSite("web", "services/web", from: shared);

// api: a CGI endpoint behind busybox httpd.
var api = Image("api")
    .From(shared)
    .Context("services/api")
    .Copy("cgi-bin/", "/srv/api/cgi-bin/", chmod: "0755")
    .User("10001:10001")
    .Expose("8080")
    .Entrypoint("httpd", "-f", "-p", "8080", "-h", "/srv/api");

// worker: a loop that does its job and sleeps.
var worker = Image("worker")
    .From(shared)
    .Context("services/worker")
    .Copy("worker.sh", "/usr/local/bin/worker", chmod: "0755")
    .User("10001:10001")
    .Entrypoint("/usr/local/bin/worker");

foreach (var service in new[] { web, api, worker })
{
    if (registry.Length == 0)
        service.Output($"out/{service.Name}");
    else
        service.Destination($"{registry}/{service.Name}:{version}").CacheRepo($"{registry}/cache");
}

// Every image is a target by its name (`... build.csx api`); groups get names of their own.
Target("backend", api, worker);
