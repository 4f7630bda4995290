// kubernetes: two independent stages built as parallel Jobs in a cluster, feeding one image.
//
//   dotnet orchestrate examples/kubernetes/build.csx --backend kubernetes --namespace builds \
//     --executor-image REGISTRY/orchestrator/executor:dev --build-arg REGISTRY=registry.example.com/demo
//
// Every node needs a cache repo: the Jobs fetch their build context from it and dependent
// stages read the intermediate images there, by digest. See docs/kubernetes.md.

var registry = Arg("REGISTRY", "localhost:5000/demo");
var baseImage = Arg("BASE", "docker.io/library/busybox:1.36");

var config = Stage("config")
    .From(baseImage)
    .Context("config")
    .Copy("app.conf", "/out/app.conf")
    .Run("sed -i 's/@PORT@/8080/' /out/app.conf")
    .CacheRepo($"{registry}/cache");

var assets = Stage("assets")
    .From(baseImage)
    .Run("mkdir -p /out/www && echo '<h1>built by a Job</h1>' > /out/www/index.html")
    .CacheRepo($"{registry}/cache");

Image("web")
    .From(baseImage)
    .CopyFrom(config, "/out/app.conf", "/etc/web/app.conf")
    .CopyFrom(assets, "/out/www/", "/srv/www/")
    .Expose("8080")
    .Cmd("httpd", "-f", "-p", "8080", "-h", "/srv/www")
    .CacheRepo($"{registry}/cache")
    .Destination($"{registry}/web:latest");
