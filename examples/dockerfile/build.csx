// dockerfile: an existing Dockerfile used as a recipe. Its stages join the graph like any other;
// the recipe adds what the Dockerfile does not say: where the image goes and the cache repo.
var registry = Arg("REGISTRY", "");

var greet = Dockerfile("Dockerfile", name: "greet");

if (registry.Length == 0)
    greet.Output("out/greet.tar");
else
    greet.Destination($"{registry}/greet:latest").CacheRepo($"{registry}/cache");
