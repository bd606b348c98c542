using System.Security.Cryptography;

namespace CapiUpgrade.Simulator.Pki;

/// <summary>
/// The certificate material Cluster API's kubeadm bootstrap creates for a workload cluster:
/// the cluster CA (`&lt;cluster&gt;-ca`), the etcd CA (`&lt;cluster&gt;-etcd`), the front-proxy CA
/// (`&lt;cluster&gt;-proxy`) and the service-account key pair (`&lt;cluster&gt;-sa`).
/// </summary>
public sealed class ClusterCertificates
{
    private ClusterCertificates(CertificateAuthority cluster, CertificateAuthority etcd, CertificateAuthority frontProxy,
        string serviceAccountPublicKeyPem, string serviceAccountPrivateKeyPem)
    {
        ClusterCa = cluster;
        EtcdCa = etcd;
        FrontProxyCa = frontProxy;
        ServiceAccountPublicKeyPem = serviceAccountPublicKeyPem;
        ServiceAccountPrivateKeyPem = serviceAccountPrivateKeyPem;
    }

    public CertificateAuthority ClusterCa { get; }
    public CertificateAuthority EtcdCa { get; }
    public CertificateAuthority FrontProxyCa { get; }
    /// <summary>`tls.crt` of `&lt;cluster&gt;-sa` ("PUBLIC KEY").</summary>
    public string ServiceAccountPublicKeyPem { get; }
    /// <summary>`tls.key` of `&lt;cluster&gt;-sa` ("RSA PRIVATE KEY").</summary>
    public string ServiceAccountPrivateKeyPem { get; }

    public static ClusterCertificates Create(RsaKeySource? keys = null)
    {
        keys ??= RsaKeySource.Fresh;
        var sa = keys.Next();
        try
        {
            return new ClusterCertificates(
                CertificateAuthority.Create("kubernetes", keys),
                CertificateAuthority.Create("etcd-ca", keys),
                CertificateAuthority.Create("front-proxy-ca", keys),
                sa.ExportSubjectPublicKeyInfoPem(),
                sa.ExportRSAPrivateKeyPem());
        }
        finally
        {
            if (keys.CallerDisposes) sa.Dispose();
        }
    }

    /// <summary>The secret data (name suffix → keys) as CAPI writes them, PEM text.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> SecretData() =>
        new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["ca"] = Pair(ClusterCa.CertificatePem, ClusterCa.KeyPem),
            ["etcd"] = Pair(EtcdCa.CertificatePem, EtcdCa.KeyPem),
            ["proxy"] = Pair(FrontProxyCa.CertificatePem, FrontProxyCa.KeyPem),
            ["sa"] = Pair(ServiceAccountPublicKeyPem, ServiceAccountPrivateKeyPem),
        };

    private static Dictionary<string, string> Pair(string crt, string key) => new() { ["tls.crt"] = crt, ["tls.key"] = key };
}
