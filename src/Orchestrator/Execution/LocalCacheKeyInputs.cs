using System.Net.Http.Headers;
using Orchestrator.Caching;
using Orchestrator.Layers;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Images;
using Orchestrator.Oci.Layout;
using Orchestrator.Oci.Registry;
using Orchestrator.Planning;
using Orchestrator.Recipes;

namespace Orchestrator.Execution;

/// <summary>
/// The inputs of a stage's keys as the local builder finds them when the stage is about to run: a registry base's
/// platform manifest digest (the manifest only, no layers), an OCI-layout base's from its index, the content a
/// <c>COPY --from=stage</c> copies out of the upstream stage's layer folders (built already: the scheduler runs
/// dependencies first) — or, when a build already hashed the same copy out of a stage with the same key, that digest,
/// remembered here or in the cache repo, without extracting anything — and an <c>ADD</c> URL's ETag or Last-Modified
/// from a HEAD request. <c>COPY --from</c> an image that is not a stage of the build is pending (its step and the rest
/// of the stage run), and so is one of a stage not built yet whose copy no build remembered.
/// </summary>
/// <param name="node">The node whose keys these are (named in warnings about memos not pushed).</param>
public sealed class LocalCacheKeyInputs(
    BaseResolver bases,
    IReadOnlyDictionary<string, StageResult> upstream,
    StepCache cache,
    string node,
    Func<LocalImage, CancellationToken, Task> extract) : ICacheKeyInputs
{
    public async Task<Digest> ResolveBaseAsync(ImageSource source, Platform platform, CancellationToken cancellationToken)
    {
        switch (source)
        {
            case ImageSource.Registry r:
                return (await bases.ResolveAsync(ImageReference.Parse(r.Reference), platform, cancellationToken).ConfigureAwait(false)).Digest;
            case ImageSource.Layout l:
                return (await LayoutImageReader.ResolveAsync(l.Path, l.Tag, platform, cancellationToken).ConfigureAwait(false)).Manifest.Digest;
            default:
                throw new ArgumentException("only registry and layout bases have a manifest digest: " + source, nameof(source));
        }
    }

    public async Task<SelectionDigest?> CopiedContentAsync(CopyFromRequest request, CancellationToken cancellationToken)
    {
        if (request.From is not ImageSource.Stage s) return null;
        var built = upstream.GetValueOrDefault(s.Name) as LocalStageResult;
        var upstreamKey = built?.Key ?? request.UpstreamKey;
        if (upstreamKey is not null && await cache.FindCopiedAsync(request, upstreamKey, cancellationToken).ConfigureAwait(false) is { } remembered)
            return remembered;
        if (built is null) return null;
        // The upstream's layers that hit the cache may not be extracted yet.
        await extract(built.Image, cancellationToken).ConfigureAwait(false);
        var sources = request.Sources.Select(p => p.TrimStart('/')).ToList();
        var content = await cache.Hasher.HashLayerStackAsync(new LayerStackView(built.Image.FoldersTopFirst), sources, request.Chmod, cancellationToken).ConfigureAwait(false);
        if (upstreamKey is not null) cache.RememberCopied(node, request, upstreamKey, content);
        return content;
    }

    /// <summary>The server's strong ETag, else its Last-Modified; null (the step runs) when it gives neither or cannot be asked.</summary>
    public async Task<UrlValidator?> ValidateUrlAsync(string url, CancellationToken cancellationToken)
    {
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            using var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, url), cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) return null;
            if (response.Headers.ETag is EntityTagHeaderValue { IsWeak: false } etag) return UrlValidator.ETag(etag.Tag);
            if (response.Content.Headers.LastModified is { } modified) return UrlValidator.LastModified(modified);
            return null;
        }
        catch (Exception error) when (error is HttpRequestException || (error is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }
}
