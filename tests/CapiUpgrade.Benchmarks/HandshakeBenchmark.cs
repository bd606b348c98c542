using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using CapiUpgrade.Kubernetes.Certificates;
using CapiUpgrade.Simulator.Pki;

namespace CapiUpgrade.Benchmarks;

/// <summary>
/// `handshake [--count 300] [--rounds 3]`: the CPU one TLS handshake costs (both ends, one process, loopback), the
/// engine's etcd client against a member that requires client certificates (the simulated member's settings: an
/// RSA etcd CA as Cluster API's, a peer certificate). Two client settings: `callback` — the client certificate in
/// a list and the server checked in a validation callback that builds its own chain after SslStream's (the
/// engine's settings before TlsTrust, and KubernetesClient's) — and `policy` — <see cref="TlsTrust"/>, the engine's
/// settings now: one chain against the etcd CA only, the client certificate's context built once. Prints CPU and
/// wall time per handshake for each, alternating, and the ratio.
/// </summary>
public static class HandshakeBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        int Arg(string name, int fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } v ? int.Parse(v) : fallback;
        var count = Arg("--count", 300);
        var rounds = Arg("--rounds", 3);
        var ca = CertificateAuthority.Create("etcd-ca");
        var member = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = ca.IdentityOf(ca.IssuePeer("member")),
            ClientCertificateRequired = true,
            CertificateChainPolicy = ca.TrustPolicy(requireClientAuth: true),
        };
        var credentials = EtcdClientCertificate.Mint(ca.CertificatePem, ca.KeyPem);
        var policy = TlsTrust.OnlyAuthorities([credentials.CertificateAuthority]);
        var identity = TlsTrust.ClientIdentity(credentials.ClientCertificate, credentials.CertificateAuthority);
        SslClientAuthenticationOptions Client(string mode)
        {
            var options = new SslClientAuthenticationOptions { TargetHost = "127.0.0.1" };
            if (mode == "policy")
            {
                TlsTrust.Apply(options, policy, identity);
                return options;
            }
            options.ClientCertificates = new X509CertificateCollection { credentials.ClientCertificate };
            options.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return false;
                using var chain = new X509Chain { ChainPolicy = TlsTrust.OnlyAuthorities([credentials.CertificateAuthority]) };
                return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
            };
            return options;
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        async Task HandshakeAsync(string mode)
        {
            var accepted = listener.AcceptTcpClientAsync();
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            using var server = await accepted;
            await using var clientTls = new SslStream(client.GetStream());
            await using var serverTls = new SslStream(server.GetStream());
            await Task.WhenAll(serverTls.AuthenticateAsServerAsync(member), clientTls.AuthenticateAsClientAsync(Client(mode)));
            if (!serverTls.IsMutuallyAuthenticated) throw new InvalidOperationException("the member did not see the client certificate");
        }

        Console.WriteLine($"TLS handshakes, engine etcd client ↔ member requiring client certificates (RSA etcd CA), loopback, {count} per measurement, both ends in this process");
        var figures = new Dictionary<string, List<double>> { ["callback"] = [], ["policy"] = [] };
        foreach (var mode in figures.Keys) await HandshakeAsync(mode); // JIT and the first chain builds, not counted
        for (var round = 0; round < rounds; round++)
        {
            foreach (var (mode, cpuPerHandshake) in figures)
            {
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var wall = Stopwatch.StartNew();
                for (var i = 0; i < count; i++) await HandshakeAsync(mode);
                var used = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / count;
                cpuPerHandshake.Add(used);
                Console.WriteLine($"  round {round + 1}, {mode,-8}: {used:F2} ms CPU per handshake, {wall.Elapsed.TotalMilliseconds / count:F2} ms wall");
            }
        }
        double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
        Console.WriteLine($"median CPU per handshake: callback {Median(figures["callback"]):F2} ms, policy {Median(figures["policy"]):F2} ms; policy / callback = {Median(figures["policy"]) / Median(figures["callback"]):F2}");
        return 0;
    }
}
