using System.Net;
using System.Net.Http.Headers;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Registry.Auth;

namespace Orchestrator.Oci.Registry;

/// <summary>
/// One blob's way into a repository: HEAD (skip if present), POST (mount if possible, else open a
/// session), then one PUT with the body or PATCH chunks with <c>Content-Range</c> and a closing PUT.
/// Each <see cref="RunAsync"/> is a complete attempt from a fresh session, which is what makes the
/// upload restartable by the retry policy.
/// </summary>
internal sealed class BlobUploader(RegistryClient client, RegistryOperation operation, string repository, Descriptor blob, string? mountFrom)
{
    private const int StreamBufferSize = 1024 * 1024;

    private IReadOnlyList<RegistryScope> Scopes => mountFrom is null
        ? [RegistryScope.PushPull(repository)]
        : [RegistryScope.PushPull(repository), RegistryScope.Pull(mountFrom)];

    public async Task<BlobUploadOutcome> RunAsync(Func<CancellationToken, Task<Stream>> openContent, CancellationToken cancellationToken)
    {
        if (await client.BlobExistsOnceAsync(operation, repository, blob.Digest, push: true, cancellationToken).ConfigureAwait(false))
            return BlobUploadOutcome.AlreadyPresent;

        var start = mountFrom is null
            ? $"v2/{repository}/blobs/uploads/"
            : $"v2/{repository}/blobs/uploads/?mount={blob.Digest}&from={Uri.EscapeDataString(mountFrom)}";
        Uri location;
        using (var response = await client.SendAsync(operation, () => new HttpRequestMessage(HttpMethod.Post, start) { Content = new ByteArrayContent([]) }, Scopes, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false))
        {
            if (response.StatusCode == HttpStatusCode.Created) return BlobUploadOutcome.Mounted;
            location = LocationOf(response);
        }

        await using var content = await openContent(cancellationToken).ConfigureAwait(false);
        if (blob.Size >= client.Options.ChunkedUploadThreshold)
            await UploadChunkedAsync(location, content, cancellationToken).ConfigureAwait(false);
        else
            await UploadMonolithicAsync(location, content, cancellationToken).ConfigureAwait(false);
        return BlobUploadOutcome.Uploaded;
    }

    private async Task UploadMonolithicAsync(Uri location, Stream content, CancellationToken cancellationToken)
    {
        using var response = await client.SendAsync(operation, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Put, WithDigest(location)) { Content = new StreamContent(new BoundedReadStream(content, blob.Size), StreamBufferSize) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            request.Content.Headers.ContentLength = blob.Size;
            return request;
        }, Scopes, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
    }

    private async Task UploadChunkedAsync(Uri location, Stream content, CancellationToken cancellationToken)
    {
        long offset = 0;
        while (offset < blob.Size)
        {
            var length = Math.Min(client.Options.ChunkSize, blob.Size - offset);
            var from = offset;
            var target = location;
            using var response = await client.SendAsync(operation, () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Patch, target) { Content = new StreamContent(new BoundedReadStream(content, length), StreamBufferSize) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                request.Content.Headers.ContentLength = length;
                // The distribution API's Content-Range is "<first>-<last>", inclusive, without a unit.
                request.Content.Headers.TryAddWithoutValidation("Content-Range", $"{from}-{from + length - 1}");
                return request;
            }, Scopes, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
            location = LocationOf(response);
            offset += length;
        }
        using var closing = await client.SendAsync(operation, () => new HttpRequestMessage(HttpMethod.Put, WithDigest(location)) { Content = new ByteArrayContent([]) },
            Scopes, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
    }

    private Uri LocationOf(HttpResponseMessage response)
    {
        var location = response.Headers.Location
            ?? throw new RegistryException(operation, response.StatusCode, $"registry {client.Registry}, repository {repository}: {operation.Name}: the registry opened an upload without a Location header");
        return location.IsAbsoluteUri ? location : client.Resolve(location.OriginalString);
    }

    private Uri WithDigest(Uri location)
    {
        var builder = new UriBuilder(location);
        var digest = "digest=" + Uri.EscapeDataString(blob.Digest.ToString());
        builder.Query = string.IsNullOrEmpty(builder.Query) ? digest : builder.Query.TrimStart('?') + "&" + digest;
        return builder.Uri;
    }
}
