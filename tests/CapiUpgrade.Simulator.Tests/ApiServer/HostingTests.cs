using System.Net;
using System.Text;
using CapiUpgrade.Simulator.ApiServer;
using CapiUpgrade.Simulator.ApiServer.Tls;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace CapiUpgrade.Simulator.Tests.ApiServer;
using Pki = CapiUpgrade.Simulator.ApiServer.Tls.Pki;

/// <summary>Many API servers in one process; TLS with client certificates and bearer tokens, as workload clusters need.</summary>
public sealed class HostingTests
{
    private static Kubernetes ClientFor(string kubeconfig) =>
        new(KubernetesClientConfiguration.BuildConfigFromConfigFile(new MemoryStream(Encoding.UTF8.GetBytes(kubeconfig))));

    [Fact]
    public async Task Servers_in_one_host_have_their_own_ports_objects_and_counters()
    {
        await using var host = await KubeApiServerHost.StartAsync(Enumerable.Range(0, 20).Select(i => new KubeApiServerOptions { Name = $"w{i}" }).ToList());
        Assert.Equal(20, host.Servers.Select(s => s.Port).Distinct().Count());
        foreach (var s in host.Servers)
        {
            using var client = new Kubernetes(new KubernetesClientConfiguration { Host = s.Url });
            await client.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = s.Name } }, "kube-system");
        }
        foreach (var s in host.Servers)
        {
            using var client = new Kubernetes(new KubernetesClientConfiguration { Host = s.Url });
            var names = (await client.ListNamespacedConfigMapAsync("kube-system")).Items.Select(i => i.Metadata.Name);
            Assert.Equal([s.Name], names);
            Assert.Equal(1, s.Requests.Count("create", "configmaps"));
            Assert.Equal(1, s.Requests.Count("list", "configmaps"));
        }
    }

    [Fact]
    public async Task Tls_server_accepts_the_kubeconfig_client_certificate_and_rejects_strangers_with_401()
    {
        var ca = Pki.CreateCertificateAuthority("w1-ca", rsa: false);
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions
        {
            Name = "w1",
            ServerCertificate = Pki.IssueServerCertificate(ca),
            ServerCaPem = Pki.CertificatePem(ca),
            ClientCertificateAuthority = ca,
        });
        Assert.StartsWith("https://127.0.0.1:", server.Url);

        using (var client = ClientFor(server.Kubeconfig()))
        {
            var namespaces = await client.ListNamespaceAsync();
            Assert.Contains(namespaces.Items, n => n.Metadata.Name == "kube-system");
        }

        // a certificate from another CA, and no certificate at all: 401
        var other = Pki.CreateCertificateAuthority("other-ca", rsa: false);
        var foreign = Pki.IssueClientCertificate(other);
        var foreignConfig = Kubeconfig.Build("w1", server.Url, Pki.CertificatePem(ca), Pki.CertificatePem(foreign), Pki.PrivateKeyPem(foreign));
        using (var stranger = ClientFor(foreignConfig))
        {
            var e = await Assert.ThrowsAsync<HttpOperationException>(() => stranger.ListNamespaceAsync());
            Assert.Equal(HttpStatusCode.Unauthorized, e.Response.StatusCode);
        }
        using (var anonymous = new Kubernetes(new KubernetesClientConfiguration { Host = server.Url, SslCaCerts = [ca] }))
        {
            var e = await Assert.ThrowsAsync<HttpOperationException>(() => anonymous.ListNamespaceAsync());
            Assert.Equal(HttpStatusCode.Unauthorized, e.Response.StatusCode);
        }
    }

    [Fact]
    public async Task Bearer_token_authenticates_and_its_absence_gets_401()
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { BearerToken = "s3cret" });
        using (var client = ClientFor(server.Kubeconfig()))
            Assert.NotEmpty((await client.ListNamespaceAsync()).Items);
        using var anonymous = new Kubernetes(new KubernetesClientConfiguration { Host = server.Url });
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => anonymous.ListNamespaceAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, e.Response.StatusCode);
        using var wrong = new Kubernetes(new KubernetesClientConfiguration { Host = server.Url, AccessToken = "nope" });
        e = await Assert.ThrowsAsync<HttpOperationException>(() => wrong.ListNamespaceAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, e.Response.StatusCode);
    }

    [Fact]
    public async Task A_stopped_server_in_a_shared_host_refuses_requests_while_the_others_serve()
    {
        await using var host = await KubeApiServerHost.StartAsync([new KubeApiServerOptions { Name = "a" }, new KubeApiServerOptions { Name = "b" }]);
        await host.Servers[0].DisposeAsync();
        using var a = new Kubernetes(new KubernetesClientConfiguration { Host = host.Servers[0].Url });
        using var b = new Kubernetes(new KubernetesClientConfiguration { Host = host.Servers[1].Url });
        await Assert.ThrowsAnyAsync<Exception>(() => a.ListNamespaceAsync());
        Assert.NotEmpty((await b.ListNamespaceAsync()).Items);
    }
}
