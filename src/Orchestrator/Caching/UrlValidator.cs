using System.Globalization;
using Orchestrator.Oci;

namespace Orchestrator.Caching;

/// <summary>
/// What stands for the content of an <c>ADD &lt;url&gt;</c> without <c>--checksum</c> in its key: the server's
/// ETag or Last-Modified (from a HEAD or conditional request the caller makes), or the digest of a download.
/// With <c>--checksum</c> the checksum is the key input and no validator is asked for.
/// </summary>
/// <param name="Kind"><c>etag</c>, <c>last-modified</c> or <c>content</c>.</param>
public sealed record UrlValidator(string Kind, string Value)
{
    public static UrlValidator ETag(string etag) => new("etag", etag);

    public static UrlValidator LastModified(DateTimeOffset time) => new("last-modified", time.ToUniversalTime().ToString("R", CultureInfo.InvariantCulture));

    public static UrlValidator Content(Digest digest) => new("content", digest.ToString());

    public override string ToString() => Kind + " " + Value;
}
