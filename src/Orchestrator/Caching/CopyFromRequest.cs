using Orchestrator.Oci.Documents;
using Orchestrator.Recipes;

namespace Orchestrator.Caching;

/// <summary>
/// What a <c>COPY --from</c> step needs from its caller: the <see cref="SelectionDigest"/> of the entries it copies
/// out of <see cref="From"/>, computed with <see cref="CopySourceHasher"/> over that image's filesystem (a
/// <c>LayerStackView</c> of its layers, or a folder holding it) with <see cref="Sources"/> and <see cref="Chmod"/>.
/// </summary>
/// <param name="Stage">The stage that copies.</param>
/// <param name="From">The other stage or image.</param>
/// <param name="Sources">The sources as written (paths inside that image).</param>
/// <param name="Platform">The copying stage's platform (an image source is read for it).</param>
public sealed record CopyFromRequest(string Stage, ImageSource From, EquatableArray<string> Sources, string? Chmod, Platform Platform);
