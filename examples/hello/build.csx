// hello: one small image, built offline. With no REGISTRY it is written as an OCI layout to out/hello;
// with `--build-arg REGISTRY=localhost:5000/demo` it is pushed there instead.
#load "../../recipes/busybox.csx"

var registry = Arg("REGISTRY", "");

var hello = Image("hello")
    .From(BusyboxBase())
    .Context(".")
    .Copy("hello.sh", "/usr/local/bin/hello", chmod: "0755")
    .Run("mkdir -p /srv && echo \"built $(date -u +%Y-%m-%d) on $(uname -m)\" > /srv/motd")
    .Env("GREETING", "Hello from a daemonless build")
    .Workdir("/srv")
    .User("65534:65534")
    .Cmd("/usr/local/bin/hello");

if (registry.Length == 0)
    hello.Output("out/hello");
else
    hello.Destination($"{registry}/hello:latest");
