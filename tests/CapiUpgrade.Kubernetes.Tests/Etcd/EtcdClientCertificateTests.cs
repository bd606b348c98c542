using CapiUpgrade.Kubernetes.Tests.Support;
using System.Security.Cryptography.X509Certificates;
using CapiUpgrade.Kubernetes.Certificates;
using CapiUpgrade.Simulator.Pki;

namespace CapiUpgrade.Kubernetes.Tests.Etcd;

public sealed class EtcdClientCertificateTests
{
    [Fact]
    public void A_minted_certificate_is_a_client_certificate_signed_by_the_etcd_CA()
    {
        var ca = CertificateAuthority.Create("etcd-ca", TestKeys.Pool);
        var credentials = EtcdClientCertificate.Mint(ca.CertificatePem, ca.KeyPem, "capi-upgrade");

        var client = credentials.ClientCertificate;
        Assert.True(client.HasPrivateKey);
        Assert.Equal("CN=capi-upgrade", client.Subject);
        Assert.Equal(ca.Certificate.Subject, client.Issuer);
        Assert.False(client.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.Contains(client.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>(), o => o.Value == "1.3.6.1.5.5.7.3.2");
        Assert.True(ca.Validates(client), "the simulator's CA (what an etcd server checks) must accept the minted certificate");
        Assert.True(client.NotAfter <= ca.Certificate.NotAfter);
    }

    [Fact]
    public void A_foreign_CA_does_not_validate_the_minted_certificate()
    {
        var ca = CertificateAuthority.Create("etcd-ca", TestKeys.Pool);
        var other = CertificateAuthority.Create("other-ca", TestKeys.Pool);
        var credentials = EtcdClientCertificate.Mint(ca.CertificatePem, ca.KeyPem);
        Assert.False(other.Validates(credentials.ClientCertificate));
    }

    [Fact]
    public void A_broken_CA_secret_is_reported_naming_the_secret_keys()
    {
        var ca = CertificateAuthority.Create("etcd-ca", TestKeys.Pool);
        var e = Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => EtcdClientCertificate.Mint(ca.CertificatePem, "not a key"));
        Assert.Contains("tls.crt/tls.key", e.Message);
    }
}
