using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CapiUpgrade.Kubernetes.Certificates;

/// <summary>The etcd CA and a client certificate signed by it, minted in memory.</summary>
/// <param name="CertificateAuthority">The CA certificate (trust root for the members' server certificates).</param>
/// <param name="ClientCertificate">A client certificate (EKU clientAuth) with its private key.</param>
public sealed record EtcdClientCredentials(X509Certificate2 CertificateAuthority, X509Certificate2 ClientCertificate);

/// <summary>
/// Mints a short-lived etcd client certificate from a cluster's <c>&lt;cluster&gt;-etcd</c> CA (PEM certificate
/// and key, key PKCS#1 or PKCS#8) without files or PKCS#12.
/// </summary>
public static class EtcdClientCertificate
{
    /// <summary>The common name of the engine's etcd client certificates: what etcd's logs (and the simulator's RPC counts) name the engine by.</summary>
    public const string DefaultCommonName = "capi-upgrade-etcd-client";

    /// <summary>
    /// Signs a new client certificate (ECDSA P-256 key — cheap to generate for hundreds of clusters — CN
    /// <paramref name="commonName"/>, EKU clientAuth, not a CA)
    /// with the CA, valid for <paramref name="lifetime"/> (default 24 h) clamped into the CA's validity.
    /// </summary>
    public static EtcdClientCredentials Mint(string caCertificatePem, string caKeyPem, string commonName = DefaultCommonName, TimeSpan? lifetime = null)
    {
        X509Certificate2 ca;
        try
        {
            ca = X509Certificate2.CreateFromPem(caCertificatePem, caKeyPem);
        }
        catch (CryptographicException e)
        {
            throw new CryptographicException("The etcd CA secret's tls.crt/tls.key do not form a PEM certificate with its private key; check the <cluster>-etcd secret.", e);
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));

        var now = DateTimeOffset.UtcNow;
        var notBefore = Max(now.AddMinutes(-5), ca.NotBefore.ToUniversalTime());
        var notAfter = Min(now + (lifetime ?? TimeSpan.FromHours(24)), ca.NotAfter.ToUniversalTime());
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        var generator = ca.GetRSAPrivateKey() is { } rsa
            ? X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1)
            : X509SignatureGenerator.CreateForECDsa(ca.GetECDsaPrivateKey() ?? throw new CryptographicException("The etcd CA key is neither RSA nor ECDSA."));
        using var signed = request.Create(ca.SubjectName, generator, notBefore, notAfter, serial);
        var client = signed.CopyWithPrivateKey(key);
        return new EtcdClientCredentials(ca, client);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
