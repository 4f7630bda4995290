using System.Collections.Concurrent;
using System.Net;

namespace Orchestrator.Testing;

/// <summary>One request that went through the proxy.</summary>
public sealed record ProxiedRequest(int Sequence, string Method, string PathAndQuery, bool Faulted);

/// <summary>
/// A small HTTP proxy on loopback in front of a real registry that answers chosen requests with an
/// error instead of forwarding them (e.g. a 500 on the second PATCH of a chunked upload). It keeps
/// the client's Host header so the registry's Location URLs point back through the proxy.
/// </summary>
public sealed class FaultInjectingProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "Host", "Content-Length",
    };

    private readonly HttpListener _listener = new();
    private readonly HttpClient _upstream = new(new SocketsHttpHandler { AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None }) { Timeout = Timeout.InfiniteTimeSpan };
    private readonly string _upstreamAddress;
    private readonly ConcurrentQueue<ProxiedRequest> _requests = new();
    private readonly List<FaultRule> _rules = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _sequence;

    public FaultInjectingProxy(string upstreamAddress)
    {
        _upstreamAddress = upstreamAddress;
        Port = FreePort.StartOnLoopback(_listener);
        _loop = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    public IReadOnlyList<ProxiedRequest> Requests => [.. _requests];

    /// <summary>Which requests <see cref="MaxConcurrency"/> counts (e.g. blob upload PUTs).</summary>
    public Func<ProxiedRequest, bool>? CountConcurrent { get; set; }

    /// <summary>The most counted requests that were in flight at the same moment.</summary>
    public int MaxConcurrency => _maxConcurrency;

    private int _inFlight;
    private int _maxConcurrency;

    /// <summary>When set, requests need a Bearer token from the gate before they reach the registry.</summary>
    public BearerTokenGate? BearerGate { get; set; }

    /// <summary>Answers the next <paramref name="times"/> requests matching <paramref name="when"/> with <paramref name="status"/>.</summary>
    public void Fail(Func<ProxiedRequest, bool> when, HttpStatusCode status, int times = 1)
    {
        lock (_rules) _rules.Add(new FaultRule(when, status, times, null, []));
    }

    /// <summary>Answers matching requests with a canned response, e.g. a manifest of a kind the registry would refuse to store.</summary>
    public void Respond(Func<ProxiedRequest, bool> when, HttpStatusCode status, string contentType, byte[] body, int times = 1)
    {
        lock (_rules) _rules.Add(new FaultRule(when, status, times, contentType, body));
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (_stop.IsCancellationRequested || !_listener.IsListening)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var sequence = Interlocked.Increment(ref _sequence);
        var seen = new ProxiedRequest(sequence, request.HttpMethod, request.Url!.PathAndQuery, false);
        var fault = TakeFault(seen);
        _requests.Enqueue(seen with { Faulted = fault is not null });
        var counted = CountConcurrent?.Invoke(seen) == true;
        if (counted)
        {
            var now = Interlocked.Increment(ref _inFlight);
            int max;
            while (now > (max = _maxConcurrency) && Interlocked.CompareExchange(ref _maxConcurrency, now, max) != max) { }
        }
        try
        {
            if (fault is not null)
            {
                await request.InputStream.CopyToAsync(Stream.Null);
                context.Response.StatusCode = (int)fault.Status;
                if (fault.ContentType is not null) context.Response.ContentType = fault.ContentType;
                context.Response.ContentLength64 = fault.Body.Length;
                if (request.HttpMethod != "HEAD") await context.Response.OutputStream.WriteAsync(fault.Body);
                context.Response.Close();
                return;
            }
            if (BearerGate is not null && await BearerGate.TryAnswerAsync(context, Address)) return;
            await ForwardAsync(context);
        }
        catch (Exception)
        {
            try { context.Response.Abort(); } catch (Exception) { }
        }
        finally
        {
            if (counted) Interlocked.Decrement(ref _inFlight);
        }
    }

    private FaultRule? TakeFault(ProxiedRequest request)
    {
        lock (_rules)
        {
            var rule = _rules.FirstOrDefault(r => r.Remaining > 0 && r.When(request));
            if (rule is null) return null;
            rule.Remaining--;
            return rule;
        }
    }

    private async Task ForwardAsync(HttpListenerContext context)
    {
        var incoming = context.Request;
        using var outgoing = new HttpRequestMessage(new HttpMethod(incoming.HttpMethod), $"http://{_upstreamAddress}{incoming.Url!.PathAndQuery}");
        if (incoming.HasEntityBody || incoming.ContentLength64 > 0)
        {
            outgoing.Content = new StreamContent(incoming.InputStream);
            if (incoming.ContentLength64 >= 0) outgoing.Content.Headers.ContentLength = incoming.ContentLength64;
        }
        // Behind the token gate the registry is open; the gate's tokens mean nothing to it.
        var skipAuthorization = BearerGate is not null;
        foreach (var name in incoming.Headers.AllKeys.OfType<string>().Where(n => !HopByHop.Contains(n) && !(skipAuthorization && n.Equals("Authorization", StringComparison.OrdinalIgnoreCase))))
        {
            var values = incoming.Headers.GetValues(name) ?? [];
            if (!outgoing.Headers.TryAddWithoutValidation(name, values)) outgoing.Content?.Headers.TryAddWithoutValidation(name, values);
        }
        outgoing.Headers.Host = incoming.UserHostName;

        using var response = await _upstream.SendAsync(outgoing, HttpCompletionOption.ResponseHeadersRead);
        var reply = context.Response;
        reply.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers).Where(h => !HopByHop.Contains(h.Key)))
            foreach (var value in values) reply.AppendHeader(name, value);
        var length = response.Content.Headers.ContentLength;
        if (incoming.HttpMethod == "HEAD")
        {
            if (length is not null) reply.AddHeader("Content-Length", length.Value.ToString());
            reply.Close();
            return;
        }
        if (length is not null) reply.ContentLength64 = length.Value;
        else reply.SendChunked = true;
        await using (var body = await response.Content.ReadAsStreamAsync())
            await body.CopyToAsync(reply.OutputStream);
        reply.Close();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        // Close alone: Stop then Close would unregister twice, and the second time the framework's listener
        // binds the port again for a moment, failing when another server has taken it meanwhile.
        _listener.Close();
        try { await _loop; } catch (Exception) { }
        _upstream.Dispose();
        _stop.Dispose();
    }

    private sealed class FaultRule(Func<ProxiedRequest, bool> when, HttpStatusCode status, int times, string? contentType, byte[] body)
    {
        public string? ContentType { get; } = contentType;
        public byte[] Body { get; } = body;
        public Func<ProxiedRequest, bool> When { get; } = when;
        public HttpStatusCode Status { get; } = status;
        public int Remaining { get; set; } = times;
    }
}
