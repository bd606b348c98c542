using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CapiUpgrade.Simulator.ApiServer.Tls;

/// <summary>
/// Mints the certificates a simulated cluster needs, in memory: a CA (RSA, its key writable as PKCS#1
/// "RSA PRIVATE KEY" as Cluster API stores it), server certificates for 127.0.0.1/localhost and client
/// certificates (ECDSA P-256: fast to make by the thousand), all signed by the CA.
/// </summary>
public static class Pki
{
    /// <summary>
    /// A self-signed CA certificate with its private key, valid 10 years: RSA 2048 by default (as Cluster API's
    /// secrets hold it; generating one costs 0.1–2 s of CPU), or ECDSA P-256 with <paramref name="rsa"/> false (~1 ms).
    /// </summary>
    public static X509Certificate2 CreateCertificateAuthority(string commonName, bool rsa = true)
    {
        using AsymmetricAlgorithm key = rsa ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = key is RSA rsaKey
            ? new CertificateRequest(new X500Name(commonName).Value, rsaKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(new X500Name(commonName).Value, (ECDsa)key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(10));
    }

    /// <summary>A server certificate for 127.0.0.1, ::1 and localhost (plus <paramref name="extraDnsNames"/>), signed by <paramref name="ca"/>.</summary>
    public static X509Certificate2 IssueServerCertificate(X509Certificate2 ca, string commonName = "kube-apiserver", IEnumerable<string>? extraDnsNames = null)
    {
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        san.AddDnsName("localhost");
        foreach (var dns in extraDnsNames ?? []) san.AddDnsName(dns);
        return Issue(ca, commonName, [], san.Build(), new Oid("1.3.6.1.5.5.7.3.1"));
    }

    /// <summary>A client certificate (CN = user, O = groups), signed by <paramref name="ca"/>.</summary>
    public static X509Certificate2 IssueClientCertificate(X509Certificate2 ca, string user = "kubernetes-admin", params string[] groups) =>
        Issue(ca, user, groups.Length == 0 ? ["system:masters"] : groups, null, new Oid("1.3.6.1.5.5.7.3.2"));

    private static X509Certificate2 Issue(X509Certificate2 ca, string commonName, string[] organizations, X509Extension? san, Oid usage)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = "CN=" + commonName + string.Concat(organizations.Select(o => ", O=" + o));
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        if (san is not null) request.CertificateExtensions.Add(san);
        var notBefore = Max(DateTimeOffset.UtcNow.AddMinutes(-5), ca.NotBefore);
        var notAfter = Min(DateTimeOffset.UtcNow.AddYears(1), ca.NotAfter);
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        var signer = ca.GetRSAPrivateKey() is { } rsa
            ? X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1)
            : X509SignatureGenerator.CreateForECDsa(ca.GetECDsaPrivateKey() ?? throw new ArgumentException("the CA certificate has no private key", nameof(ca)));
        using var cert = request.Create(ca.SubjectName, signer, notBefore, notAfter, serial);
        return cert.CopyWithPrivateKey(key);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTime b) => a > b ? a : new DateTimeOffset(b.ToUniversalTime());

    private static DateTimeOffset Min(DateTimeOffset a, DateTime b) => a < b ? a : new DateTimeOffset(b.ToUniversalTime());

    /// <summary>The certificate as PEM ("CERTIFICATE").</summary>
    public static string CertificatePem(X509Certificate2 cert) => cert.ExportCertificatePem();

    /// <summary>The private key as PEM: PKCS#1 "RSA PRIVATE KEY" for RSA, SEC1 "EC PRIVATE KEY" for ECDSA.</summary>
    public static string PrivateKeyPem(X509Certificate2 cert)
    {
        if (cert.GetRSAPrivateKey() is { } rsa) return rsa.ExportRSAPrivateKeyPem();
        if (cert.GetECDsaPrivateKey() is { } ec) return ec.ExportECPrivateKeyPem();
        throw new ArgumentException("the certificate has no RSA or ECDSA private key", nameof(cert));
    }

    /// <summary>
    /// The chain policy of a TLS end that trusts <paramref name="ca"/> only (and, with <paramref name="clientAuth"/>,
    /// certificates for clientAuth only). Given to SslStream, which copies it for each handshake and builds one chain
    /// with it, instead of one against the system's roots followed by a second in a validation callback.
    /// </summary>
    public static X509ChainPolicy TrustOnly(X509Certificate2 ca, bool clientAuth = false)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.Add(ca);
        if (clientAuth) policy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2"));
        return policy;
    }

    /// <summary>True when <paramref name="cert"/> chains to <paramref name="ca"/> (and only to it) and is valid now.</summary>
    public static bool IsIssuedBy(X509Certificate2 cert, X509Certificate2 ca)
    {
        var policy = TrustOnly(ca);
        policy.VerificationFlags = X509VerificationFlags.IgnoreWrongUsage;
        using var chain = new X509Chain { ChainPolicy = policy };
        return chain.Build(cert);
    }
}

file readonly record struct X500Name(string CommonName)
{
    public string Value => "CN=" + CommonName;
}
