using System.Net;
using System.Net.Sockets;

namespace Orchestrator.Testing;

/// <summary>A loopback TCP port nobody listens on right now.</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// Starts <paramref name="listener"/> on a free loopback port and returns the port; another process may take
    /// the port between probing and binding, so a few ports are tried.
    /// </summary>
    public static int StartOnLoopback(HttpListener listener)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = Next();
            listener.Prefixes.Clear();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return port;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
            }
        }
    }
}
