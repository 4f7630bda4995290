// multistage: two independent build stages (they run in parallel) feed one final image.
#load "../../recipes/busybox.csx"

var registry = Arg("REGISTRY", "");
var busybox = BusyboxBase();

// Builds a "backend": a script plus generated config.
var backend = Stage("backend")
    .From(busybox)
    .Context("backend")
    .Workdir("/build")
    .Copy("server.sh", "./")
    .Run("mkdir -p /out/bin && cp server.sh /out/bin/server && chmod 0755 /out/bin/server")
    .Run("echo \"port=8080\" > /out/server.conf");

// Builds a "frontend": static files, minified by a tiny shell pipeline.
var frontend = Stage("frontend")
    .From(busybox)
    .Context("frontend")
    .Workdir("/build")
    .Copy(["index.html", "style.css"], "./")
    .Run("mkdir -p /out/www && for f in *.html *.css; do tr -s ' \\n' ' ' < \"$f\" > /out/www/$f; done");

var app = Image("app")
    .From(busybox)
    .CopyFrom(backend, "/out/", "/app/")
    .CopyFrom(frontend, "/out/www/", "/app/www/")
    .Expose("8080")
    .Label("org.opencontainers.image.title", "multistage example")
    .Entrypoint("/app/bin/server");

if (registry.Length == 0)
    app.Output("out/app");
else
    app.Destination($"{registry}/app:latest");
