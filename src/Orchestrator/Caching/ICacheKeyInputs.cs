using Orchestrator.Oci;
using Orchestrator.Oci.Documents;
using Orchestrator.Recipes;

namespace Orchestrator.Caching;

/// <summary>
/// The inputs of keys that live outside the recipe and the build context, supplied by the caller (the planner
/// online, a test offline). Each may do I/O; none may run a build step.
/// </summary>
public interface ICacheKeyInputs
{
    /// <summary>The manifest digest a registry or OCI-layout base resolves to for the platform (a tag resolved now, a digest as it is).</summary>
    Task<Digest> ResolveBaseAsync(ImageSource source, Platform platform, CancellationToken cancellationToken);

    /// <summary>
    /// The content a <c>COPY --from</c> copies, or null when it cannot be known yet (the stage is not built, the image
    /// not read): the step and everything after it are then pending on <see cref="CopyFromRequest.From"/>.
    /// </summary>
    Task<SelectionDigest?> CopiedContentAsync(CopyFromRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// A validator of an <c>ADD</c> URL given without <c>--checksum</c> (ETag, Last-Modified, or the digest of a
    /// download), or null when there is none yet: the step is then pending on the URL.
    /// </summary>
    Task<UrlValidator?> ValidateUrlAsync(string url, CancellationToken cancellationToken);
}
