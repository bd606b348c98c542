using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CapiUpgrade.Simulator.Pki;

/// <summary>
/// A cluster certificate authority as Cluster API's kubeadm bootstrap stores it (`tls.crt` / `tls.key`,
/// key PEM-encoded as PKCS#1 "RSA PRIVATE KEY"), able to issue server, peer and client certificates.
/// </summary>
public sealed class CertificateAuthority
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    private readonly RsaKeySource _keys;

    private CertificateAuthority(X509Certificate2 certificate, string certificatePem, string keyPem, RsaKeySource keys)
    {
        Certificate = certificate;
        CertificatePem = certificatePem;
        KeyPem = keyPem;
        _keys = keys;
    }

    /// <summary>The CA certificate with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>`tls.crt` of the CAPI secret.</summary>
    public string CertificatePem { get; }

    /// <summary>`tls.key` of the CAPI secret (PKCS#1 "RSA PRIVATE KEY").</summary>
    public string KeyPem { get; }

    /// <summary>Creates a self-signed CA valid for ten years, as kubeadm does.</summary>
    public static CertificateAuthority Create(string commonName, RsaKeySource? keys = null)
    {
        keys ??= RsaKeySource.Fresh;
        var rsa = keys.Next();
        try
        {
            var request = new CertificateRequest(new X500DistinguishedName($"CN={Escape(commonName)}"), rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(
                X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            var now = DateTimeOffset.UtcNow;
            var selfSigned = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10));
            return new CertificateAuthority(selfSigned, selfSigned.ExportCertificatePem(), rsa.ExportRSAPrivateKeyPem(), keys);
        }
        finally
        {
            if (keys.CallerDisposes) rsa.Dispose();
        }
    }

    /// <summary>Loads a CA from the PEM texts of a CAPI secret (`tls.crt`, `tls.key`).</summary>
    public static CertificateAuthority FromPem(string certificatePem, string keyPem, RsaKeySource? keys = null)
    {
        var certificate = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        return new CertificateAuthority(certificate, certificatePem, keyPem, keys ?? RsaKeySource.Fresh);
    }

    /// <summary>A serving certificate (EKU serverAuth) with SANs 127.0.0.1, localhost and any extra names.</summary>
    public IssuedCertificate IssueServer(string commonName, IEnumerable<string>? extraNames = null) =>
        Issue(commonName, organization: null, [ServerAuth], WithLoopback(extraNames));

    /// <summary>An etcd peer certificate (EKU serverAuth + clientAuth) with SANs 127.0.0.1 and localhost.</summary>
    public IssuedCertificate IssuePeer(string commonName, IEnumerable<string>? extraNames = null) =>
        Issue(commonName, organization: null, [ServerAuth, ClientAuth], WithLoopback(extraNames));

    /// <summary>A client certificate (EKU clientAuth), e.g. CN=kubernetes-admin O=system:masters.</summary>
    public IssuedCertificate IssueClient(string commonName, string? organization = null) =>
        Issue(commonName, organization, [ClientAuth], sans: null);

    /// <summary>
    /// True when <paramref name="certificate"/> chains to this CA (and only this CA) and carries
    /// <paramref name="requireClientAuth"/> clientAuth (by default) — what a TLS server requiring client
    /// certificates checks.
    /// </summary>
    public bool Validates(X509Certificate? certificate, bool requireClientAuth = true)
    {
        if (certificate is null) return false;
        using var chain = new X509Chain { ChainPolicy = TrustPolicy(requireClientAuth) };
        var leaf = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
        return chain.Build(leaf);
    }

    /// <summary>
    /// The chain policy of a TLS end that trusts this CA only (and, with <paramref name="requireClientAuth"/>,
    /// certificates for clientAuth only): given to SslStream, which copies it for each handshake and builds one
    /// chain with it, instead of one against the system's roots and a second in a validation callback.
    /// </summary>
    public X509ChainPolicy TrustPolicy(bool requireClientAuth) => ApiServer.Tls.Pki.TrustOnly(Certificate, requireClientAuth);

    /// <summary><paramref name="certificate"/> (one this CA issued) ready to present in every handshake, this CA sent along.</summary>
    public SslStreamCertificateContext IdentityOf(IssuedCertificate certificate) =>
        SslStreamCertificateContext.Create(certificate.Certificate, [Certificate], offline: true);

    private IssuedCertificate Issue(string commonName, string? organization, Oid[] usages, IReadOnlyList<string>? sans)
    {
        var rsa = _keys.Next();
        try
        {
            return Issue(rsa, commonName, organization, usages, sans);
        }
        finally
        {
            if (_keys.CallerDisposes) rsa.Dispose();
        }
    }

    private IssuedCertificate Issue(RSA rsa, string commonName, string? organization, Oid[] usages, IReadOnlyList<string>? sans)
    {
        var subject = organization is null ? $"CN={Escape(commonName)}" : $"CN={Escape(commonName)}, O={Escape(organization)}";
        var request = new CertificateRequest(new X500DistinguishedName(subject), rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        var usageCollection = new OidCollection();
        foreach (var usage in usages) usageCollection.Add(usage);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usageCollection, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        if (sans is not null)
        {
            var builder = new SubjectAlternativeNameBuilder();
            foreach (var name in sans)
            {
                if (IPAddress.TryParse(name, out var ip)) builder.AddIpAddress(ip);
                else builder.AddDnsName(name);
            }
            request.CertificateExtensions.Add(builder.Build());
        }
        var now = DateTimeOffset.UtcNow;
        var notBefore = Max(now.AddMinutes(-5), Certificate.NotBefore.ToUniversalTime());
        var notAfter = Min(now.AddYears(1), Certificate.NotAfter.ToUniversalTime());
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        using var caKey = Certificate.GetRSAPrivateKey()
            ?? throw new InvalidOperationException($"The CA '{Certificate.Subject}' has no RSA private key: load it with FromPem(tls.crt, tls.key).");
        using var signed = request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForRSA(caKey, RSASignaturePadding.Pkcs1), notBefore, notAfter, serial);
        // The copy holds its own reference to the key (on Linux): it outlives the RSA object.
        var withKey = signed.CopyWithPrivateKey(rsa);
        return new IssuedCertificate(withKey, withKey.ExportCertificatePem(), rsa.ExportRSAPrivateKeyPem());
    }

    private static List<string> WithLoopback(IEnumerable<string>? extra) =>
        new[] { "127.0.0.1", "localhost" }.Concat(extra ?? []).Distinct(StringComparer.Ordinal).ToList();

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static string Escape(string value) => value.Replace(",", "\\,", StringComparison.Ordinal).Replace("=", "\\=", StringComparison.Ordinal);
}
