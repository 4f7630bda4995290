using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Orchestrator.Testing;

/// <summary>
/// The real registry serving TLS with a certificate for 127.0.0.1 signed by a throwaway CA made here
/// (<see cref="CaCertificatePath"/>, PEM), behind htpasswd Basic auth (<see cref="AuthenticatedRegistryFixture.User"/>).
/// A client trusts it only when told to: <c>--registry-certificate</c> or <c>--skip-tls-verify*</c>.
/// </summary>
public sealed class TlsRegistryFixture : RegistryFixture
{
    public TlsRegistryFixture() : base(AuthenticatedRegistryFixture.User, AuthenticatedRegistryFixture.Secret)
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=orchestrator test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(2));

        using var serverKey = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var server = request.Create(ca, now.AddDays(-1), now.AddDays(1), RandomNumberGenerator.GetBytes(8));

        File.WriteAllText(CaCertificatePath, ca.ExportCertificatePem() + "\n");
        File.WriteAllText(ServerCertificatePath, server.ExportCertificatePem() + "\n" + ca.ExportCertificatePem() + "\n");
        File.WriteAllText(ServerKeyPath, serverKey.ExportPkcs8PrivateKeyPem() + "\n");
    }

    /// <summary>The CA that signed the registry's certificate, PEM.</summary>
    public string CaCertificatePath => Path.Combine(Root, "ca.pem");

    private string ServerCertificatePath => Path.Combine(Root, "server.pem");

    private string ServerKeyPath => Path.Combine(Root, "server-key.pem");

    protected override string HttpSettings => $"  tls:\n    certificate: {ServerCertificatePath}\n    key: {ServerKeyPath}\n";

    protected override (string Scheme, HttpMessageHandler Handler) Probe() =>
        ("https", new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });
}
