using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Orchestrator.Oci.Registry;

/// <summary>Builds the socket-level handler: connection pooling, decompression off, optional extra CA trust.</summary>
internal static class RegistryTransport
{
    public static SocketsHttpHandler Create(RegistryClientOptions options) => Create(options, null);

    /// <summary>The handler for one registry: its own certificate (<c>--registry-certificate</c>) or no verification at all (<c>--skip-tls-verify*</c>).</summary>
    public static SocketsHttpHandler Create(RegistryClientOptions options, string? registry)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = options.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = Math.Max(8, options.MaxParallelTransfers * 2),
            AllowAutoRedirect = true,
        };
        var bundles = new List<string>();
        if (options.CaBundlePath is { } bundle) bundles.Add(bundle);
        if (registry is not null && options.RegistryCertificates.TryGetValue(registry, out var certificate)) bundles.Add(certificate);
        if (registry is not null && options.SkipsTlsVerification(registry))
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        else if (bundles.Count > 0)
            handler.SslOptions.RemoteCertificateValidationCallback = TrustingBundles(bundles, registry);
        return handler;
    }

    /// <summary>Accepts a server chain that the system trusts or that ends in a certificate of the bundle.</summary>
    private static RemoteCertificateValidationCallback TrustingBundles(IEnumerable<string> paths, string? registry)
    {
        var roots = new X509Certificate2Collection();
        foreach (var path in paths)
        {
            var what = $"certificate file '{path}'" + (registry is null ? "" : $" (trusted for registry {registry})");
            if (!File.Exists(path)) throw new OrchestratorException($"{what} does not exist; give a PEM file of CA certificates");
            var before = roots.Count;
            try
            {
                roots.ImportFromPemFile(path);
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
            {
                throw new OrchestratorException($"{what} is not a PEM file of certificates: {e.Message}", e);
            }
            if (roots.Count == before) throw new OrchestratorException($"{what} holds no certificate");
        }

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
