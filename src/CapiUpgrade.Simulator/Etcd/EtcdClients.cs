using CapiUpgrade.Simulator.Pki;
using dotnet_etcd;

namespace CapiUpgrade.Simulator.Etcd;

/// <summary>dotnet-etcd clients that speak TLS with a client certificate and trust only the cluster's etcd CA.</summary>
public static class EtcdClients
{
    /// <summary>
    /// A client for <paramref name="clientUrls"/> (`https://127.0.0.1:PORT`, comma-joined when several),
    /// presenting <paramref name="clientCertificate"/> and trusting only <paramref name="ca"/>.
    /// </summary>
    public static EtcdClient Connect(string clientUrls, CertificateAuthority ca, IssuedCertificate clientCertificate)
    {
        var identity = ca.IdentityOf(clientCertificate);
        var trust = ca.TrustPolicy(requireClientAuth: false);
        return new EtcdClient(clientUrls, configureSslOptions: options =>
        {
            options.ClientCertificateContext = identity;
            options.CertificateChainPolicy = trust;
        });
    }
}
