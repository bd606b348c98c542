using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace CapiUpgrade.Kubernetes.Certificates;

/// <summary>
/// TLS settings built once per client and reused by every connection it opens. A handshake then builds one
/// certificate chain — against the given authorities only, as kubectl and etcdctl do with a CA file — instead
/// of one against the system's roots followed by a second in a validation callback, and does not rebuild the
/// client certificate's chain to send it. About 3 of 7 ms of CPU per handshake (both ends) on this machine's
/// loopback; the engine opens one to every etcd member a replacement brings.
/// </summary>
public static class TlsTrust
{
    /// <summary>
    /// Trusts certificates that chain to one of <paramref name="authorities"/> and to nothing else (no system
    /// roots, no revocation fetches, no certificate downloads). SslStream copies the policy for each handshake
    /// and still checks the host name against the certificate.
    /// </summary>
    public static X509ChainPolicy OnlyAuthorities(IEnumerable<X509Certificate2> authorities)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        var certificates = authorities.ToArray();
        policy.CustomTrustStore.AddRange(certificates);
        // An intermediate among them (a CA bundle) also helps build the chain to its root.
        policy.ExtraStore.AddRange(certificates);
        return policy;
    }

    /// <summary>The client certificate, with its issuer to send along, ready for every handshake (no chain built per connection).</summary>
    public static SslStreamCertificateContext ClientIdentity(X509Certificate2 certificate, X509Certificate2? issuer = null) =>
        SslStreamCertificateContext.Create(certificate, issuer is null ? null : new X509Certificate2Collection(issuer), offline: true);

    /// <summary>
    /// Client options that present <paramref name="identity"/> (if any) and trust only <paramref name="authorities"/>;
    /// replaces any validation callback and client certificate list set before.
    /// </summary>
    public static void Apply(SslClientAuthenticationOptions options, X509ChainPolicy authorities, SslStreamCertificateContext? identity)
    {
        options.RemoteCertificateValidationCallback = null;
        options.CertificateChainPolicy = authorities;
        if (identity is null) return;
        options.ClientCertificates = null;
        options.ClientCertificateContext = identity;
    }
}
