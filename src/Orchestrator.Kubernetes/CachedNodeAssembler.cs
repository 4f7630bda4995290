using System.Runtime.Versioning;
using Orchestrator.Dockerfiles;
using Orchestrator.Execution;
using Orchestrator.Planning;
using Orchestrator.Recipes;

namespace Orchestrator.Kubernetes;

/// <summary>
/// Leaves a node out of the cluster when the cache answers all of it: the node's rendered Dockerfile is read here
/// exactly as the executor in its pod would read it (same stages, same build args, same cache repo, same layer
/// encoding), its step keys are computed once and looked up (this machine's cache, then the cache repo), and when
/// every step hits, the image is assembled from the cached layers and pushed to the node's destinations — no Job.
/// When a step misses nothing has run or been pushed, and the node becomes a Job.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class CachedNodeAssembler(LocalBuildOptions options, IReadOnlyDictionary<string, string> buildArgs) : IDisposable
{
    private readonly LocalStageExecutor _local = new(options);

    /// <summary>The node's image from the cache, or null when it has to be built.</summary>
    public async Task<StageResult?> TryAssembleAsync(StageJob job, string dockerfile, IReadOnlyList<string> destinations, CancellationToken cancellationToken)
    {
        var stage = job.Node.Stage;
        var folder = Directory.CreateTempSubdirectory("orchestrator-node-").FullName;
        try
        {
            var graph = ReadAsExecutor(stage, dockerfile, destinations, folder);
            var observer = new NodeObserver(job.Observer, job.Node.Name);
            var results = new Dictionary<string, StageResult>(StringComparer.Ordinal);
            foreach (var node in graph.Nodes)
            {
                var inputs = node.Dependencies.ToDictionary(d => d, d => results[d], StringComparer.Ordinal);
                var result = await _local.TryAssembleFromCacheAsync(new StageJob(node, inputs, observer), cancellationToken).ConfigureAwait(false);
                if (result is null) return null;
                results[node.Name] = result;
            }
            return results[stage.Name];
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    public Task CompleteAsync(IBuildObserver observer, CancellationToken cancellationToken) => _local.CompleteAsync(observer, cancellationToken);

    public void Dispose() => _local.Dispose();

    /// <summary>What <c>dotnet orchestrate executor</c> makes of the node's Dockerfile in the pod, with the node's real context folder.</summary>
    private BuildGraph ReadAsExecutor(StageRecipe stage, string dockerfile, IReadOnlyList<string> destinations, string folder)
    {
        var path = Path.Combine(folder, BuildContextArchive.DockerfileName);
        File.WriteAllText(path, dockerfile);
        if (stage.IgnoreFile is { } ignoreFile && File.Exists(ignoreFile)) File.Copy(ignoreFile, path + DockerignoreMatcher.FileName);
        var context = stage.Context ?? Directory.CreateDirectory(Path.Combine(folder, BuildContextArchive.ContextFolder)).FullName;
        var book = new RecipeBook(context, buildArgs) { BaseImageEnvironment = new BaseImageEnvironment(options.Registry, options.Platform).Lookup };
        book.Dockerfile(path, context: context, name: stage.Name).Destination([.. destinations]);
        var recipes = book.Build(new RecipeValidationOptions { Push = true });
        if (stage.CacheRepo is { } cacheRepo)
            recipes = recipes with { Stages = recipes.Stages.Select(s => s with { CacheRepo = cacheRepo }).ToEquatableArray() };
        return GraphBuilder.Build(recipes, [stage.Name]);
    }

    /// <summary>Everything the stages read on the way is the node's own output.</summary>
    private sealed class NodeObserver(IBuildObserver outer, string node) : IBuildObserver
    {
        public void OnStepCached(string stage, int index, int count, string description) => outer.OnStepCached(node, index, count, description);

        public void OnNodeOutput(string stage, string line) => outer.OnNodeOutput(node, line);

        public void OnWarning(string message) => outer.OnWarning(message);

        public void OnNote(string message) => outer.OnNote(message);
    }
}
