using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Orchestrator.Oci.Documents;
using Orchestrator.Oci.Registry.Auth;

namespace Orchestrator.Oci.Registry;

/// <summary>
/// The distribution (OCI) API of one registry: manifests, blobs, uploads, tags. Every call is async,
/// cancellable, authorised by <see cref="RegistryAuthenticationHandler"/> and, when safe to repeat,
/// retried by the one <see cref="RetryPolicy"/>.
/// </summary>
public sealed class RegistryClient : IDisposable
{
    // Manifests are small documents; a bigger answer is a misbehaving server, not an image.
    private const int MaxManifestBytes = 4 * 1024 * 1024;

    private readonly HttpClient _http;
    private readonly RegistryClientOptions _options;
    private readonly BlobUploadLedger _uploads = new();

    public RegistryClient(string registry, RegistryClientOptions? options = null)
    {
        Registry = registry;
        _options = options ?? new RegistryClientOptions();
        var scheme = _options.UsesPlainHttp(registry) ? "http" : "https";
        var host = registry == ImageReference.DockerHub ? "registry-1.docker.io" : registry;
        BaseUri = new Uri($"{scheme}://{host}/");
        Authentication = new RegistryAuthenticationHandler(registry, _options.Credentials, RegistryTransport.Create(_options, registry));
        _http = new HttpClient(Authentication) { BaseAddress = BaseUri, Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("orchestrator", typeof(RegistryClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
        Retry = new RetryPolicy(_options.Retry);
    }

    /// <summary>The registry as users name it (host[:port], <c>docker.io</c>).</summary>
    public string Registry { get; }

    public Uri BaseUri { get; }

    public RegistryClientOptions Options => _options;

    public RetryPolicy Retry { get; }

    /// <summary>Mirrors to read this registry's manifests and blobs from first (<see cref="RegistryClientOptions.RegistryMirrors"/>).</summary>
    public IReadOnlyList<RegistryClient> PullMirrors { get; init; } = [];

    public RegistryAuthenticationHandler Authentication { get; }

    /// <summary>GET /v2/: is this a registry, and do our credentials work for it.</summary>
    public Task PingAsync(CancellationToken cancellationToken = default)
    {
        var operation = new RegistryOperation(Registry, null, "ping");
        return Retry.ExecuteAsync(operation, async (_, ct) =>
        {
            using var response = await SendAsync(operation, () => new HttpRequestMessage(HttpMethod.Get, "v2/"), [], HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        }, cancellationToken);
    }

    public async Task<ManifestDocument> GetManifestAsync(string repository, string reference, CancellationToken cancellationToken = default) =>
        await FromMirrorsAsync(m => m.TryGetManifestAsync(repository, reference, cancellationToken), cancellationToken).ConfigureAwait(false)
        ?? (await GetManifestAsync(repository, reference, notFoundIsNull: false, cancellationToken).ConfigureAwait(false))!;

    /// <summary>GET of a manifest, or null when the registry has none under that reference (404).</summary>
    public async Task<ManifestDocument?> TryGetManifestAsync(string repository, string reference, CancellationToken cancellationToken = default) =>
        await FromMirrorsAsync(m => m.TryGetManifestAsync(repository, reference, cancellationToken), cancellationToken).ConfigureAwait(false)
        ?? await GetManifestAsync(repository, reference, notFoundIsNull: true, cancellationToken).ConfigureAwait(false);

    /// <summary>The first answer of a mirror that has what <paramref name="read"/> asks for; null when none has it or none answers.</summary>
    private async Task<T?> FromMirrorsAsync<T>(Func<RegistryClient, Task<T?>> read, CancellationToken cancellationToken) where T : class
    {
        foreach (var mirror in PullMirrors)
        {
            try
            {
                if (await read(mirror).ConfigureAwait(false) is { } found) return found;
            }
            catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // A mirror that fails is skipped: the registry itself answers.
            }
        }
        return null;
    }

    private Task<ManifestDocument?> GetManifestAsync(string repository, string reference, bool notFoundIsNull, CancellationToken cancellationToken)
    {
        var operation = new RegistryOperation(Registry, repository, $"manifest GET {reference}");
        return Retry.ExecuteAsync<ManifestDocument?>(operation, async (_, ct) =>
        {
            HttpStatusCode[] accepted = notFoundIsNull ? [HttpStatusCode.NotFound] : [];
            using var response = await SendAsync(operation, () => ManifestRequest(HttpMethod.Get, repository, reference), [RegistryScope.Pull(repository)], HttpCompletionOption.ResponseHeadersRead, ct, accepted).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound) return null;
            if (response.Content.Headers.ContentLength > MaxManifestBytes)
                throw new RegistryException(operation, response.StatusCode, $"registry {Registry}: manifest {repository}:{reference} is {response.Content.Headers.ContentLength} bytes, more than a manifest can be");
            var content = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            var document = ManifestDocument.FromBytes(content, response.Content.Headers.ContentType?.MediaType, $"{Registry}/{repository}:{reference}");
            if (Digest.TryParse(reference, out var pinned) && pinned != document.Digest)
                throw new OrchestratorException($"registry {Registry}: manifest {repository}@{reference} has content digest {document.Digest}; refusing it");
            return document;
        }, cancellationToken);
    }

    /// <summary>HEAD of a manifest: its descriptor (media type, digest, size), or null when absent.</summary>
    public Task<Descriptor?> HeadManifestAsync(string repository, string reference, CancellationToken cancellationToken = default)
    {
        var operation = new RegistryOperation(Registry, repository, $"manifest HEAD {reference}");
        return Retry.ExecuteAsync(operation, async (_, ct) =>
        {
            using var response = await SendAsync(operation, () => ManifestRequest(HttpMethod.Head, repository, reference), [RegistryScope.Pull(repository)], HttpCompletionOption.ResponseHeadersRead, ct, HttpStatusCode.NotFound).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound) return null;
            var mediaType = response.Content.Headers.ContentType?.MediaType;
            var size = response.Content.Headers.ContentLength;
            if (response.Headers.TryGetValues("Docker-Content-Digest", out var values) && Digest.TryParse(values.FirstOrDefault(), out var digest)
                && mediaType is not null && size is not null)
                return new Descriptor(mediaType, digest, size.Value);
            // Some registries omit the digest on HEAD; the body tells for sure.
            var document = await GetManifestAsync(repository, reference, ct).ConfigureAwait(false);
            return document.Descriptor;
        }, cancellationToken);
    }

    /// <summary>PUT a manifest under a tag or its digest. Its blobs must already be in the repository.</summary>
    public async Task<Digest> PutManifestAsync(string repository, string reference, ManifestDocument manifest, CancellationToken cancellationToken = default)
    {
        var operation = new RegistryOperation(Registry, repository, $"manifest PUT {reference}");
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await Retry.ExecuteAsync(operation, async (_, ct) =>
                {
                    using var response = await SendAsync(operation, () =>
                    {
                        var request = new HttpRequestMessage(HttpMethod.Put, $"v2/{repository}/manifests/{reference}") { Content = new ByteArrayContent(manifest.Content) };
                        request.Content.Headers.ContentType = new MediaTypeHeaderValue(manifest.MediaType);
                        return request;
                    }, [RegistryScope.PushPull(repository)], HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
                    return manifest.Digest;
                }, cancellationToken).ConfigureAwait(false);
            }
            // The blobs were put before the manifest; a registry that is linking one of them into the repository for
            // another client at this moment (distribution rewrites the link file) briefly answers that it does not know it.
            catch (RegistryException error) when (attempt < ManifestBlobUnknownAttempts && error.StatusCode == HttpStatusCode.BadRequest && error.ErrorCodes.Contains("MANIFEST_BLOB_UNKNOWN"))
            {
                await Task.Delay(Retry.DelayBefore(attempt + 1), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>How often a manifest PUT is tried while the registry says one of its blobs, just put, is unknown.</summary>
    private const int ManifestBlobUnknownAttempts = 3;

    /// <summary>
    /// DELETE of a manifest by its digest (distribution removes the tags that point at it). False when the registry
    /// has no such manifest (404). A registry that does not allow deletion answers 405 (distribution without
    /// <c>storage.delete.enabled</c>) and this throws a <see cref="RegistryException"/> with that status.
    /// </summary>
    public Task<bool> DeleteManifestAsync(string repository, Digest digest, CancellationToken cancellationToken = default)
    {
        var operation = new RegistryOperation(Registry, repository, $"manifest DELETE {digest.Short}");
        return Retry.ExecuteAsync(operation, async (_, ct) =>
        {
            using var response = await SendAsync(operation, () => new HttpRequestMessage(HttpMethod.Delete, $"v2/{repository}/manifests/{digest}"), [RegistryScope.Deletion(repository)], HttpCompletionOption.ResponseContentRead, ct, HttpStatusCode.NotFound).ConfigureAwait(false);
            return response.StatusCode != HttpStatusCode.NotFound;
        }, cancellationToken);
    }

    /// <summary>HEAD of a blob: true when the repository has it.</summary>
    public Task<bool> BlobExistsAsync(string repository, Digest digest, CancellationToken cancellationToken = default)
    {
        var operation = new RegistryOperation(Registry, repository, $"blob HEAD {digest.Short}");
        return Retry.ExecuteAsync(operation, (_, ct) => BlobExistsOnceAsync(operation, repository, digest, push: false, ct), cancellationToken);
    }

    /// <summary>HEAD of a blob: its size in bytes, or null when the repository does not have it.</summary>
    public Task<long?> BlobSizeAsync(string repository, Digest digest, CancellationToken cancellationToken = default)
    {
        var operation = new RegistryOperation(Registry, repository, $"blob HEAD {digest.Short}");
        return Retry.ExecuteAsync(operation, async (_, ct) =>
        {
            using var response = await SendAsync(operation, () => new HttpRequestMessage(HttpMethod.Head, $"v2/{repository}/blobs/{digest}"), [RegistryScope.Pull(repository)], HttpCompletionOption.ResponseHeadersRead, ct, HttpStatusCode.NotFound).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK) return (long?)null;
            return response.Content.Headers.ContentLength
                ?? throw new RegistryException(operation, response.StatusCode, $"registry {Registry}, repository {repository}: blob HEAD {digest.Short} answered without Content-Length");
        }, cancellationToken);
    }

    /// <summary>
    /// Opens a blob for reading; the stream checks size and digest as it ends and throws on a mismatch.
    /// Only getting the response is retried; use <see cref="DownloadBlobAsync"/> to retry the whole transfer.
    /// </summary>
    public async Task<Stream> OpenBlobAsync(string repository, Descriptor blob, CancellationToken cancellationToken = default)
    {
        if (await FromMirrorsAsync(m => m.OpenBlobAsync(repository, blob, cancellationToken)!, cancellationToken).ConfigureAwait(false) is { } mirrored)
            return mirrored;
        var operation = new RegistryOperation(Registry, repository, $"blob GET {blob.Digest.Short}");
        return await Retry.ExecuteAsync(operation, (_, ct) => OpenBlobOnceAsync(operation, repository, blob, ct), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Downloads a blob into <paramref name="consume"/>, starting over on transient failures (consume must tolerate that).</summary>
    public async Task DownloadBlobAsync(string repository, Descriptor blob, Func<Stream, CancellationToken, Task> consume, CancellationToken cancellationToken = default)
    {
        var mirrored = await FromMirrorsAsync<object>(async m =>
        {
            await m.DownloadBlobAsync(repository, blob, consume, cancellationToken).ConfigureAwait(false);
            return m;
        }, cancellationToken).ConfigureAwait(false);
        if (mirrored is not null) return;
        var operation = new RegistryOperation(Registry, repository, $"blob GET {blob.Digest.Short}");
        await Retry.ExecuteAsync(operation, async (_, ct) =>
        {
            await using var stream = await OpenBlobOnceAsync(operation, repository, blob, ct).ConfigureAwait(false);
            await consume(stream, ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Puts a blob into <paramref name="repository"/>: skipped when present, mounted from
    /// <paramref name="mountFrom"/> when that repository has it, otherwise uploaded in one PUT or, from
    /// <see cref="RegistryClientOptions.ChunkedUploadThreshold"/> on, in chunks. A failed upload starts
    /// over with a fresh session and a freshly opened stream. A blob this client has put into the repository
    /// already is not asked for again, and one it has put into another repository of the registry is mounted
    /// from there (<see cref="BlobUploadLedger"/>).
    /// </summary>
    public Task<BlobUploadOutcome> UploadBlobAsync(string repository, Descriptor blob, Func<CancellationToken, Task<Stream>> openContent, string? mountFrom = null, CancellationToken cancellationToken = default)
    {
        var operation = new RegistryOperation(Registry, repository, $"blob upload {blob.Digest.Short}");
        return _uploads.UploadAsync(repository, blob.Digest, knownSource =>
        {
            var uploader = new BlobUploader(this, operation, repository, blob, knownSource ?? (mountFrom == repository ? null : mountFrom));
            return Retry.ExecuteAsync(operation, (_, ct) => uploader.RunAsync(openContent, ct), cancellationToken);
        }, cancellationToken);
    }

    /// <summary>All tags of a repository, following <c>Link: rel="next"</c> pages. Empty when the repository does not exist.</summary>
    public async Task<IReadOnlyList<string>> ListTagsAsync(string repository, int pageSize = 1000, CancellationToken cancellationToken = default)
    {
        var operation = new RegistryOperation(Registry, repository, "tag list");
        var tags = new List<string>();
        string? next = $"v2/{repository}/tags/list?n={pageSize}";
        while (next is not null)
        {
            var page = next;
            (var pageTags, next) = await Retry.ExecuteAsync(operation, async (_, ct) =>
            {
                using var response = await SendAsync(operation, () => new HttpRequestMessage(HttpMethod.Get, page), [RegistryScope.Pull(repository)], HttpCompletionOption.ResponseContentRead, ct, HttpStatusCode.NotFound).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.NotFound) return ((IReadOnlyList<string>)[], (string?)null);
                var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
                using var json = JsonDocument.Parse(body);
                var found = json.RootElement.TryGetProperty("tags", out var t) && t.ValueKind == JsonValueKind.Array
                    ? t.EnumerateArray().Select(x => x.GetString()!).ToList()
                    : [];
                return ((IReadOnlyList<string>)found, NextLink(response));
            }, cancellationToken).ConfigureAwait(false);
            tags.AddRange(pageTags);
        }
        return tags;
    }

    internal async Task<bool> BlobExistsOnceAsync(RegistryOperation operation, string repository, Digest digest, bool push, CancellationToken cancellationToken)
    {
        IReadOnlyList<RegistryScope> scopes = push ? [RegistryScope.PushPull(repository)] : [RegistryScope.Pull(repository)];
        using var response = await SendAsync(operation, () => new HttpRequestMessage(HttpMethod.Head, $"v2/{repository}/blobs/{digest}"), scopes, HttpCompletionOption.ResponseHeadersRead, cancellationToken, HttpStatusCode.NotFound).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.OK;
    }

    private async Task<Stream> OpenBlobOnceAsync(RegistryOperation operation, string repository, Descriptor blob, CancellationToken cancellationToken)
    {
        var response = await SendAsync(operation, () => new HttpRequestMessage(HttpMethod.Get, $"v2/{repository}/blobs/{blob.Digest}"), [RegistryScope.Pull(repository)], HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        try
        {
            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return new VerifyingReadStream(new ResponseOwningStream(body, response), blob.Digest, blob.Size, $"registry {Registry}, repository {repository}");
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends one request; a status outside 2xx (and <paramref name="alsoAccepted"/>) becomes a
    /// <see cref="RegistryException"/> naming registry, repository, operation, status and the registry's own error text.
    /// </summary>
    internal async Task<HttpResponseMessage> SendAsync(RegistryOperation operation, Func<HttpRequestMessage> createRequest, IReadOnlyList<RegistryScope> scopes, HttpCompletionOption completion, CancellationToken cancellationToken, params HttpStatusCode[] alsoAccepted)
    {
        using var request = createRequest();
        request.Options.Set(RegistryScope.OptionKey, scopes);
        var response = await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode || alsoAccepted.Contains(response.StatusCode)) return response;
        using (response)
        {
            throw await FailureAsync(operation, response, cancellationToken).ConfigureAwait(false);
        }
    }

    internal Uri Resolve(string location) => new(BaseUri, location);

    private async Task<RegistryException> FailureAsync(RegistryOperation operation, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = response.StatusCode;
        var body = await RegistryErrorBody.ReadAsync(response, cancellationToken).ConfigureAwait(false);
        var hint = status switch
        {
            HttpStatusCode.Unauthorized => $"; the registry refused the credentials. Log in to {Registry} (docker login) or fix its entry in Docker config.json",
            HttpStatusCode.Forbidden => $"; the credentials for {Registry} lack permission for this repository",
            HttpStatusCode.NotFound => "; it does not exist there",
            HttpStatusCode.TooManyRequests => "; the registry is rate limiting",
            _ => "",
        };
        var target = operation.Repository is null ? $"registry {Registry}" : $"registry {Registry}, repository {operation.Repository}";
        return new RegistryException(operation, status, $"{target}: {operation.Name} failed with HTTP {(int)status} {response.ReasonPhrase}{body.Suffix}{hint}") { ErrorCodes = body.Codes };
    }

    private HttpRequestMessage ManifestRequest(HttpMethod method, string repository, string reference)
    {
        var request = new HttpRequestMessage(method, $"v2/{repository}/manifests/{reference}");
        foreach (var mediaType in MediaTypes.AcceptedManifests) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(mediaType));
        return request;
    }

    private static string? NextLink(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var links)) return null;
        foreach (var link in links.SelectMany(l => l.Split(',')))
        {
            var open = link.IndexOf('<');
            var close = link.IndexOf('>');
            if (open >= 0 && close > open && link[close..].Contains("rel=\"next\"", StringComparison.OrdinalIgnoreCase))
                return link[(open + 1)..close].TrimStart('/');
        }
        return null;
    }

    public void Dispose() => _http.Dispose();
}
