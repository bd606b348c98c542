using System.Security.Authentication;
using CapiUpgrade.Kubernetes.Certificates;
using CapiUpgrade.Kubernetes.Management;
using CapiUpgrade.Kubernetes.Retries;
using CapiUpgrade.Kubernetes.Tests.Etcd;
using CapiUpgrade.Kubernetes.Tests.Support;
using CapiUpgrade.Simulator.ApiServer;
using CapiUpgrade.Simulator.Etcd;
using CapiUpgrade.Simulator.Pki;
using ApiPki = CapiUpgrade.Simulator.ApiServer.Tls.Pki;

namespace CapiUpgrade.Kubernetes.Tests.Management;

/// <summary>
/// The engine's TLS connections trust the authority their kubeconfig or etcd CA secret names and nothing else,
/// and still present the client certificate the server requires (settings built once per client, TlsTrust).
/// </summary>
public sealed class TlsTrustTests
{
    private static readonly KubernetesAccessOptions OneAttempt = new() { Api = RetryOptions.None, Etcd = RetryOptions.None };

    [Fact]
    public async Task An_api_server_is_trusted_only_under_the_kubeconfigs_authority_and_accepts_the_client_certificate()
    {
        var ca = ApiPki.CreateCertificateAuthority("c1-ca", rsa: false);
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions
        {
            Name = "c1", ServerCertificate = ApiPki.IssueServerCertificate(ca), ServerCaPem = ApiPki.CertificatePem(ca), ClientCertificateAuthority = ca,
        });
        var kubeconfig = server.Kubeconfig();
        var otherAuthority = ApiPki.CertificatePem(ApiPki.CreateCertificateAuthority("another-ca", rsa: false));
        var misled = kubeconfig.Replace(Base64(server.Options.ServerCaPem!), Base64(otherAuthority), StringComparison.Ordinal);
        Assert.NotEqual(kubeconfig, misled);

        await using var trusted = ManagementClusterAccess.FromKubeconfigText(kubeconfig, options: OneAttempt);
        await using var refused = ManagementClusterAccess.FromKubeconfigText(misled, options: OneAttempt);

        // The server requires a client certificate from its CA (401 without): a read that finds nothing proves both ends.
        Assert.Null(await trusted.Api.GetAsync(ResourceKind.Secret, "default", "absent", CancellationToken.None));
        var e = await Assert.ThrowsAnyAsync<Exception>(() => refused.Api.GetAsync(ResourceKind.Secret, "default", "absent", CancellationToken.None));
        Assert.Contains(Chain(e), x => x is AuthenticationException);
    }

    [Fact]
    public async Task An_etcd_member_is_trusted_only_under_the_clusters_etcd_authority_and_accepts_the_client_certificate()
    {
        await using var server = new SimulatedEtcdServer();
        await using var etcd = new SimulatedEtcdCluster("default/c1", CertificateAuthority.Create("etcd-ca", TestKeys.Pool), server);
        await etcd.BootstrapAsync(EtcdAdapterScenarios.InitialMembers);
        var endpoints = etcd.Processes.Select(p => p.ClientUrl).ToList();
        var ours = EtcdClientCertificate.Mint(etcd.Ca.CertificatePem, etcd.Ca.KeyPem);
        var another = CertificateAuthority.Create("another-etcd-ca", TestKeys.Pool);

        await using var trusted = new CapiUpgrade.Kubernetes.Etcd.EtcdCluster(endpoints, ours, RetryOptions.None);
        // The same client certificate (the members accept it), but the members' certificates checked against another CA.
        await using var refused = new CapiUpgrade.Kubernetes.Etcd.EtcdCluster(endpoints, ours with { CertificateAuthority = another.Certificate }, RetryOptions.None);

        Assert.Equal(EtcdAdapterScenarios.InitialMembers.Length, (await trusted.ListMembersAsync(CancellationToken.None)).Count);
        var e = await Assert.ThrowsAnyAsync<Exception>(() => refused.ListMembersAsync(CancellationToken.None));
        Assert.Contains(Chain(e), x => x is AuthenticationException);
    }

    private static string Base64(string pem) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(pem));

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException) yield return x;
    }
}
