using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Orchestrator.Oci.Registry;

/// <summary>Builds the socket-level handler: connection pooling, decompression off, optional extra CA trust.</summary>
internal static class RegistryTransport
{
    public static SocketsHttpHandler Create(RegistryClientOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = options.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = Math.Max(8, options.MaxParallelTransfers * 2),
            AllowAutoRedirect = true,
        };
        if (options.CaBundlePath is { } bundle) handler.SslOptions.RemoteCertificateValidationCallback = TrustingBundle(bundle);
        return handler;
    }

    /// <summary>Accepts a server chain that the system trusts or that ends in a certificate of the bundle.</summary>
    private static RemoteCertificateValidationCallback TrustingBundle(string path)
    {
        if (!File.Exists(path)) throw new OrchestratorException($"CA bundle '{path}' does not exist; give a PEM file of CA certificates");
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new OrchestratorException($"CA bundle '{path}' is not a PEM file of certificates: {e.Message}", e);
        }
        if (roots.Count == 0) throw new OrchestratorException($"CA bundle '{path}' holds no certificate");

        return (_, certificate, _, errors) =>
        {
            if (errors == SslPolicyErrors.None) return true;
            if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)) return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(new X509Certificate2(certificate));
        };
    }
}
