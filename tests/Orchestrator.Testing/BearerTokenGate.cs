using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Orchestrator.Testing;

/// <summary>
/// Token auth for <see cref="FaultInjectingProxy"/>: the proxy answers 401 with a
/// <c>Bearer realm=...,service=...,scope=...</c> challenge, serves tokens at <c>/token</c> (checking
/// Basic credentials when given), and forwards only requests whose token covers the repository and
/// action. Debian's registry has no token server of its own; this gives the Bearer handshake a
/// real registry behind it.
/// </summary>
public sealed class BearerTokenGate(string? username, string? password, int expiresInSeconds = 300, string? refreshToken = null)
{
    public const string Service = "orchestrator-test";

    private readonly ConcurrentDictionary<string, (HashSet<string> Scopes, DateTimeOffset Expires)> _tokens = new();
    private readonly ConcurrentQueue<string> _requestedScopes = new();

    /// <summary>The scope parameters of every token request, in order.</summary>
    public IReadOnlyList<string> RequestedScopes => [.. _requestedScopes];

    public int TokensIssued => _tokens.Count;

    /// <summary>Handles the request when it is the token endpoint or lacks a token; false to forward it.</summary>
    internal async Task<bool> TryAnswerAsync(HttpListenerContext context, string proxyAddress)
    {
        var request = context.Request;
        var path = request.Url!.AbsolutePath;
        if (path == "/token")
        {
            await IssueAsync(context);
            return true;
        }
        if (!path.StartsWith("/v2/", StringComparison.Ordinal)) return false;

        var repository = RepositoryOf(path);
        var needsPush = request.HttpMethod is "POST" or "PUT" or "PATCH" or "DELETE";
        var required = repository is null ? null : $"repository:{repository}:{(needsPush ? "push" : "pull")}";
        var header = request.Headers["Authorization"];
        if (header is not null && header.StartsWith("Bearer ", StringComparison.Ordinal)
            && _tokens.TryGetValue(header[7..], out var token) && token.Expires > DateTimeOffset.UtcNow
            && (required is null || token.Scopes.Contains(required)))
            return false;

        await request.InputStream.CopyToAsync(Stream.Null);
        var scope = repository is null ? "" : $",scope=\"repository:{repository}:{(needsPush ? "pull,push" : "pull")}\"";
        context.Response.StatusCode = (int)HttpStatusCode.Unauthorized;
        context.Response.AddHeader("WWW-Authenticate", $"Bearer realm=\"http://{proxyAddress}/token\",service=\"{Service}\"{scope}");
        context.Response.ContentLength64 = 0;
        context.Response.Close();
        return true;
    }

    private async Task IssueAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var scopeValues = request.QueryString.GetValues("scope") ?? [];
        if (request.HttpMethod == "POST")
        {
            // OAuth2 refresh-token grant, as registries do for identity tokens.
            using var reader = new StreamReader(request.InputStream);
            var form = System.Web.HttpUtility.ParseQueryString(await reader.ReadToEndAsync());
            if (refreshToken is null || form["grant_type"] != "refresh_token" || form["refresh_token"] != refreshToken)
            {
                context.Response.StatusCode = (int)HttpStatusCode.Unauthorized;
                context.Response.Close();
                return;
            }
            scopeValues = [form["scope"] ?? ""];
        }
        else if (username is not null)
        {
            var header = request.Headers["Authorization"];
            var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(username + ":" + password));
            if (header != expected)
            {
                context.Response.StatusCode = (int)HttpStatusCode.Unauthorized;
                context.Response.Close();
                return;
            }
        }
        var scopes = new HashSet<string>();
        foreach (var scope in scopeValues)
        {
            _requestedScopes.Enqueue(scope);
            foreach (var single in scope.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = single.Split(':');
                if (parts.Length != 3) continue;
                foreach (var action in parts[2].Split(',')) scopes.Add($"{parts[0]}:{parts[1]}:{action}");
            }
        }
        var token = Guid.NewGuid().ToString("N");
        _tokens[token] = (scopes, DateTimeOffset.UtcNow.AddSeconds(expiresInSeconds));
        var body = Encoding.UTF8.GetBytes($"{{\"token\":\"{token}\",\"expires_in\":{expiresInSeconds},\"issued_at\":\"{DateTimeOffset.UtcNow:O}\"}}");
        context.Response.ContentType = "application/json";
        context.Response.ContentLength64 = body.Length;
        await context.Response.OutputStream.WriteAsync(body);
        context.Response.Close();
    }

    private static string? RepositoryOf(string path)
    {
        foreach (var marker in new[] { "/manifests/", "/blobs/", "/tags/" })
        {
            var at = path.LastIndexOf(marker, StringComparison.Ordinal);
            if (at > 4) return path[4..at];
        }
        return null;
    }
}
