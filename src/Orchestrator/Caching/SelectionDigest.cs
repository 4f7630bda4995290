using Orchestrator.Oci;
using Orchestrator.Recipes;

namespace Orchestrator.Caching;

/// <summary>
/// The content of exactly the entries a COPY or ADD places, as <see cref="CopySourceHasher"/> computes it from the
/// build context or from another image's filesystem: per entry its destination-relative path, type, mode (after
/// <c>--chmod</c>), content SHA-256 and link target, in the copy's own order. Never times, owners on disk or the
/// order a folder lists its entries in.
/// </summary>
/// <param name="Entries">How many entries were hashed (files, folders, links).</param>
/// <param name="Bytes">The size of the files' content.</param>
public sealed record SelectionDigest(Digest Digest, int Entries, long Bytes)
{
    /// <summary>More top-level names than this and <see cref="Groups"/> stays empty (it would bloat every key's parts).</summary>
    public const int MaxGroups = 64;

    /// <summary>
    /// The digest of each top-level name under the destination (a copied file, or a folder's subtree), in ordinal order,
    /// so a miss can say which one changed; empty when there are more than <see cref="MaxGroups"/>.
    /// </summary>
    public EquatableArray<KeyValuePair<string, Digest>> Groups { get; init; } = [];
}
