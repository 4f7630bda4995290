using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Orchestrator.Oci.Registry.Auth;

/// <summary>
/// The registry auth handshake as a message handler. It learns the registry's challenge from the
/// first 401, then authorises every request up front: Basic from the credentials, or a Bearer token
/// for the request's scopes fetched from the challenge's realm and cached until it expires. A request
/// whose body can be sent again is retried once after a fresh 401; a streamed upload is not (uploads
/// start with a body-less POST, which settles the token first).
/// </summary>
public sealed class RegistryAuthenticationHandler : DelegatingHandler
{
    // Renew a little early so a token does not expire between our check and the registry's.
    private static readonly TimeSpan ExpiryMargin = TimeSpan.FromSeconds(15);

    private readonly string _registry;
    private readonly ICredentialProvider _credentialProvider;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, CachedToken> _tokens = new();
    private readonly SemaphoreSlim _tokenLock = new(1, 1);
    private Task<RegistryCredentials?>? _credentials;
    private volatile AuthChallenge? _challenge;

    public RegistryAuthenticationHandler(string registry, ICredentialProvider credentialProvider, HttpMessageHandler inner, TimeProvider? time = null)
        : base(inner)
    {
        _registry = registry;
        _credentialProvider = credentialProvider;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>How many tokens were fetched from the realm; lets tests see the cache working.</summary>
    public int TokenRequests => _tokenRequests;

    private int _tokenRequests;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var scopes = request.Options.TryGetValue(RegistryScope.OptionKey, out var s) ? s : [];
        if (_challenge is { } known)
            request.Headers.Authorization = await AuthorizeAsync(known, scopes, rejectedToken: null, cancellationToken).ConfigureAwait(false);

        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized) return response;

        var challenge = AuthChallenge.From(response.Headers.WwwAuthenticate);
        if (challenge is null || !(challenge.IsBasic || challenge.IsBearer)) return response;
        var hadAuthorization = request.Headers.Authorization is not null;
        _challenge = challenge;
        // Only the token that was just refused is stale; one fetched meanwhile by a parallel request is fine.
        var rejected = request.Headers.Authorization?.Parameter ?? "";
        var authorization = await AuthorizeAsync(challenge, scopes, rejected, cancellationToken).ConfigureAwait(false);
        if (authorization is null) return response;
        if (hadAuthorization && challenge.IsBasic) return response; // the same password again would fail again
        if (request.Content is not null and not ByteArrayContent) return response;

        response.Dispose();
        request.Headers.Authorization = authorization;
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private async Task<AuthenticationHeaderValue?> AuthorizeAsync(AuthChallenge challenge, IReadOnlyList<RegistryScope> scopes, string? rejectedToken, CancellationToken cancellationToken)
    {
        var credentials = await GetCredentialsAsync(cancellationToken).ConfigureAwait(false);
        if (challenge.IsBasic)
        {
            return credentials is { HasPassword: true }
                ? new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials.Username + ":" + credentials.Password)))
                : null;
        }

        var key = string.Join(' ', scopes.Select(x => x.ToString()).Order(StringComparer.Ordinal));
        if (IsUsable(key, rejectedToken, out var cached)) return new AuthenticationHeaderValue("Bearer", cached.Token);

        await _tokenLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Another request may have fetched the token while this one waited.
            if (IsUsable(key, rejectedToken, out cached)) return new AuthenticationHeaderValue("Bearer", cached.Token);
            var token = await FetchTokenAsync(challenge, scopes, credentials, cancellationToken).ConfigureAwait(false);
            _tokens[key] = token;
            return new AuthenticationHeaderValue("Bearer", token.Token);
        }
        finally
        {
            _tokenLock.Release();
        }
    }

    private bool IsUsable(string key, string? rejectedToken, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out CachedToken? token) =>
        _tokens.TryGetValue(key, out token) && token.ExpiresAt > _time.GetUtcNow() && token.Token != rejectedToken;

    private Task<RegistryCredentials?> GetCredentialsAsync(CancellationToken cancellationToken) =>
        _credentials ??= _credentialProvider.GetCredentialsAsync(_registry, cancellationToken);

    private async Task<CachedToken> FetchTokenAsync(AuthChallenge challenge, IReadOnlyList<RegistryScope> scopes, RegistryCredentials? credentials, CancellationToken cancellationToken)
    {
        if (challenge.Realm is null || !Uri.TryCreate(challenge.Realm, UriKind.Absolute, out var realm))
            throw new OrchestratorException($"registry {_registry} asked for a Bearer token without a usable realm ('{challenge.Realm}'); the registry's auth setup is broken");

        var query = new List<string>();
        if (challenge.Service is { } service) query.Add("service=" + Uri.EscapeDataString(service));
        foreach (var scope in scopes) query.Add("scope=" + Uri.EscapeDataString(scope.ToString()));
        if (scopes.Count == 0 && challenge.Scope is { } challengeScope) query.Add("scope=" + Uri.EscapeDataString(challengeScope));

        using var request = credentials?.IdentityToken is { } refreshToken
            ? OAuthRequest(realm, challenge, scopes, refreshToken)
            : new HttpRequestMessage(HttpMethod.Get, new UriBuilder(realm) { Query = string.Join('&', query) }.Uri);
        if (credentials is { HasPassword: true } && credentials.IdentityToken is null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials.Username + ":" + credentials.Password)));

        Interlocked.Increment(ref _tokenRequests);
        using var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            throw new OrchestratorException(
                $"registry {_registry}: the token service at {realm.GetLeftPart(UriPartial.Path)} refused {(credentials is null ? "anonymous access" : credentials.ToString())} (HTTP {(int)response.StatusCode}); check the login for {_registry} in your Docker config.json");
        if (!response.IsSuccessStatusCode)
            throw new OrchestratorException($"registry {_registry}: the token service at {realm.GetLeftPart(UriPartial.Path)} answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}");

        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        var token = (root.TryGetProperty("token", out var t) ? t.GetString() : null)
            ?? (root.TryGetProperty("access_token", out var a) ? a.GetString() : null)
            ?? throw new OrchestratorException($"registry {_registry}: the token service at {realm.GetLeftPart(UriPartial.Path)} returned no token");
        // The spec's default lifetime is 60 s when expires_in is absent.
        var lifetime = TimeSpan.FromSeconds(root.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var seconds) && seconds > 0 ? seconds : 60);
        var issued = root.TryGetProperty("issued_at", out var i) && i.TryGetDateTimeOffset(out var at) ? at : _time.GetUtcNow();
        return new CachedToken(token, issued + lifetime - ExpiryMargin);
    }

    private static HttpRequestMessage OAuthRequest(Uri realm, AuthChallenge challenge, IReadOnlyList<RegistryScope> scopes, string refreshToken)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("grant_type", "refresh_token"),
            new("refresh_token", refreshToken),
            new("client_id", "orchestrator"),
            new("service", challenge.Service ?? ""),
            new("scope", string.Join(' ', scopes.Select(s => s.ToString()))),
        };
        return new HttpRequestMessage(HttpMethod.Post, realm) { Content = new FormUrlEncodedContent(form) };
    }

    private sealed record CachedToken(string Token, DateTimeOffset ExpiresAt);
}
