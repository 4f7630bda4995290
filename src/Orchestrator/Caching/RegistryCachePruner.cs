using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Registry;

namespace Orchestrator.Caching;

/// <summary>
/// Removes expired entries from a cache repository: the tags <c>sha256-&lt;hex&gt;</c> (steps, remembered values) and
/// <c>history-&lt;hex&gt;</c> (a stage's last keys) whose manifest carries this
/// key (<see cref="RegistryCacheRepository.KeyAnnotation"/>) and an <see cref="RegistryCacheRepository.CreatedAnnotation"/>
/// older than the given age. Their manifests are deleted by digest, which removes the tag (the registry's own
/// garbage collection frees the blobs). Other tags of the repository, and tags that merely look like entries, are
/// never touched. A registry that does not allow deletion (distribution without <c>storage.delete.enabled</c>
/// answers 405) is reported, not retried: <see cref="RegistryCachePruneResult.Refusal"/>.
/// </summary>
public sealed partial class RegistryCachePruner(RegistryClientPool registries, ImageReference repository, int maxParallelRequests = 16, TimeProvider? clock = null)
{
    public async Task<RegistryCachePruneResult> PruneAsync(TimeSpan olderThan, CancellationToken cancellationToken)
    {
        if (repository.Tag is not null && repository.Tag != "latest" || repository.Digest is not null)
            throw new OrchestratorException($"cache repo '{repository}' names a tag or digest; give the repository only (e.g. registry.example.com/team/cache)");
        var client = registries.For(repository);
        var now = (clock ?? TimeProvider.System).GetUtcNow();
        var tags = await client.ListTagsAsync(repository.Repository, cancellationToken: cancellationToken).ConfigureAwait(false);
        var entries = new System.Collections.Concurrent.ConcurrentBag<RegistryCacheEntry>();
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, maxParallelRequests), CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(tags.Where(t => EntryTag().IsMatch(t)), options, async (tag, ct) =>
        {
            var manifest = await client.TryGetManifestAsync(repository.Repository, tag, ct).ConfigureAwait(false);
            if (manifest is not null && Read(tag, manifest) is { } entry) entries.Add(entry);
        }).ConfigureAwait(false);

        var expired = entries.Where(e => now - e.Created > olderThan).OrderBy(e => e.Created).ThenBy(e => e.Tag, StringComparer.Ordinal).ToList();
        var deleted = new List<RegistryCacheEntry>();
        string? refusal = null;
        foreach (var entry in expired)
        {
            try
            {
                await client.DeleteManifestAsync(repository.Repository, entry.ManifestDigest, cancellationToken).ConfigureAwait(false);
                deleted.Add(entry);
            }
            catch (RegistryException error) when (error.StatusCode is HttpStatusCode.MethodNotAllowed or HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
            {
                refusal = error.StatusCode == HttpStatusCode.MethodNotAllowed
                    ? $"{error.Message}. The registry does not allow deleting manifests; enable it (distribution: storage.delete.enabled: true) or let the registry's own retention rules expire the tags"
                    : $"{error.Message}. Deleting needs the 'delete' right on {repository.Registry}/{repository.Repository}";
                break;
            }
        }
        return new RegistryCachePruneResult(tags.Count, entries.Count, expired, deleted, refusal);
    }

    private static RegistryCacheEntry? Read(string tag, ManifestDocument document)
    {
        if (document.IsIndex) return null;
        var annotations = document.AsManifest().Annotations;
        if (annotations is null
            || !annotations.TryGetValue(RegistryCacheRepository.KeyAnnotation, out var key) || key != "sha256:" + tag[(tag.IndexOf('-') + 1)..]
            || !annotations.TryGetValue(RegistryCacheRepository.CreatedAnnotation, out var createdText)
            || !DateTimeOffset.TryParse(createdText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var created))
            return null;
        return new RegistryCacheEntry(tag, document.Digest, created);
    }

    [GeneratedRegex("^(sha256|history)-[0-9a-f]{64}$")]
    private static partial Regex EntryTag();
}

/// <summary>One entry of a cache repository: its tag, manifest digest and creation time.</summary>
public sealed record RegistryCacheEntry(string Tag, Digest ManifestDigest, DateTimeOffset Created);

/// <summary>
/// What a prune of a cache repository found and did: tags listed, entries among them, the expired ones, those deleted,
/// and why the rest were not (null when every expired entry was deleted).
/// </summary>
public sealed record RegistryCachePruneResult(int Tags, int Entries, IReadOnlyList<RegistryCacheEntry> Expired, IReadOnlyList<RegistryCacheEntry> Deleted, string? Refusal);
