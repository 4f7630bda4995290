using System.Collections.Concurrent;
using System.Net;

namespace Orchestrator.Testing;

/// <summary>
/// A real HTTP server on a free loopback port (the framework's <see cref="HttpListener"/>) serving files a
/// test registers by path, with an optional <c>Last-Modified</c> header; any other path answers 404. It
/// records every request path, so a test can tell whether a build downloaded something.
/// </summary>
public sealed class StaticFileServer : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentDictionary<string, (byte[] Content, DateTimeOffset? LastModified)> _files = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _serving;

    public StaticFileServer()
    {
        Port = FreePort.StartOnLoopback(_listener);
        _serving = Task.Run(ServeAsync);
    }

    public int Port { get; }

    /// <summary>The server's root URL, ending in '/'.</summary>
    public string BaseUrl => $"http://127.0.0.1:{Port}/";

    /// <summary>Paths requested so far, in order (escaped, without query).</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Serves <paramref name="content"/> at <paramref name="path"/> (escaped form, e.g. <c>/a%20b.txt</c>); returns its URL.</summary>
    public string Serve(string path, byte[] content, DateTimeOffset? lastModified = null)
    {
        _files[path] = (content, lastModified);
        return BaseUrl + path.TrimStart('/');
    }

    private async Task ServeAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception error) when (error is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var path = context.Request.Url!.AbsolutePath;
        Requests.Enqueue(path);
        var response = context.Response;
        try
        {
            if (!_files.TryGetValue(path, out var file))
            {
                response.StatusCode = 404;
                response.StatusDescription = "Not Found";
                return;
            }
            response.StatusCode = 200;
            response.ContentType = "application/octet-stream";
            if (file.LastModified is { } modified) response.Headers[HttpResponseHeader.LastModified] = modified.UtcDateTime.ToString("R");
            response.ContentLength64 = file.Content.Length;
            await response.OutputStream.WriteAsync(file.Content);
        }
        catch (HttpListenerException)
        {
            // The client went away; nothing to answer.
        }
        finally
        {
            response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        // Close alone: Stop then Close would unregister twice, and the second time the framework's listener
        // binds the port again for a moment, failing when another server has taken it meanwhile.
        _listener.Close();
        await _serving;
        _stopping.Dispose();
    }
}
