// Prints the cache key of every step of a Dockerfile over a build context, and what computing them cost
// (time, files and bytes hashed, memo hits). Thin on purpose: the keys come from Orchestrator.Caching.
// Usage: ContextHash --context DIR --dockerfile FILE --cache DIR [--platform os/arch]
using System.Diagnostics;
using Orchestrator;
using Orchestrator.Caching;
using Orchestrator.Dockerfiles;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Recipes;

var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 0; i + 1 < args.Length; i += 2) options[args[i].TrimStart('-')] = args[i + 1];
if (!options.TryGetValue("context", out var context) || !options.TryGetValue("dockerfile", out var dockerfile) || !options.TryGetValue("cache", out var cache))
{
    Console.Error.WriteLine("usage: ContextHash --context DIR --dockerfile FILE --cache DIR [--platform os/arch]");
    return 2;
}
try
{
    var clock = Stopwatch.StartNew();
    var document = await DockerfileParser.ParseFileAsync(dockerfile, new DockerfileParserOptions());
    var stages = document.Stages.Select(s => s with { Context = Path.GetFullPath(context) }).ToList();
    var hasher = new CopySourceHasher(new FileContentHasher(cache));
    var chain = new CacheKeyChain(new OfflineInputs(), hasher);
    var platform = options.TryGetValue("platform", out var p) ? Platform.Parse(p) : Platform.Host;
    var keys = await chain.ComputeAsync(stages, platform, CancellationToken.None);
    clock.Stop();
    foreach (var stage in stages)
        foreach (var step in keys[stage.Name].Steps)
            Console.WriteLine($"{stage.Name,-12} {step.Key?.ToString() ?? "pending: " + step.Pending,-71}  {step.Instruction.Keyword}");
    var files = hasher.Files;
    Console.WriteLine($"keys-ms={clock.Elapsed.TotalMilliseconds:F0} files-hashed={files.FilesHashed} bytes-hashed={files.BytesHashed} memo-hits={files.MemoHits}");
    return 0;
}
catch (OrchestratorException error)
{
    Console.Error.WriteLine("error: " + error.Message);
    return 1;
}

/// <summary>No registry here: registry bases are refused, other images' content is pending.</summary>
internal sealed class OfflineInputs : ICacheKeyInputs
{
    public Task<Digest> ResolveBaseAsync(ImageSource source, Platform platform, CancellationToken cancellationToken) =>
        throw new OrchestratorException($"this tool resolves no registry base ({source}); use FROM scratch");

    public Task<SelectionDigest?> CopiedContentAsync(CopyFromRequest request, CancellationToken cancellationToken) => Task.FromResult<SelectionDigest?>(null);

    public Task<UrlValidator?> ValidateUrlAsync(string url, CancellationToken cancellationToken) => Task.FromResult<UrlValidator?>(null);
}
