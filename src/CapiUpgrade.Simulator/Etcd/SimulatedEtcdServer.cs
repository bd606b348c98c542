using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using CapiUpgrade.Simulator.Pki;
using Grpc.AspNetCore.Server.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CapiUpgrade.Simulator.Etcd;

/// <summary>
/// Serves the etcd v3 gRPC API of many simulated etcd members in one process: one port per member,
/// TLS with the member's cluster etcd CA, client certificates required (chain to that CA, EKU
/// clientAuth). Ports are bound in batches, each batch one Kestrel host; a port's state (which
/// cluster, which member, running or not) is looked up by the connection's local port. A port whose
/// member is stopped or removed drops connections before the TLS handshake.
/// </summary>
public sealed class SimulatedEtcdServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<int, PortBinding> _bindings = new();
    private readonly ConcurrentQueue<int> _spare = new();
    private readonly List<WebApplication> _hosts = [];
    private readonly SemaphoreSlim _hostLock = new(1, 1);
    private bool _disposed;

    /// <summary>RPCs answered, by the caller's client certificate subject (e.g. CN=capi-upgrade-etcd-client) and method (benchmarks: the engine's etcd calls per Machine).</summary>
    public ConcurrentDictionary<(string Caller, string Method), long> Rpcs { get; } = new();

    internal void Count(string caller, string method) => Rpcs.AddOrUpdate((caller, method), 1, static (_, n) => n + 1);

    /// <summary>How many ports a batch binds when a single port is needed and no spare one is left.</summary>
    public int SpareBatchSize { get; init; } = 8;

    /// <summary>Number of Kestrel hosts (batches) started so far.</summary>
    public int HostCount { get { lock (_hosts) return _hosts.Count; } }

    /// <summary>Binds <paramref name="count"/> new loopback ports in one Kestrel host and returns them (unassigned).</summary>
    public async Task<IReadOnlyList<int>> BindPortsAsync(int count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        await _hostLock.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] }); // no inotify instance per host
            builder.Logging.ClearProviders();
            builder.Services.AddGrpc();
            builder.Services.AddSingleton(this);
            builder.Services.AddSingleton<EtcdGrpcService>();
            builder.Services.AddSingleton<IServiceMethodProvider<EtcdGrpcService>, EtcdGrpcService.MethodProvider>();
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                for (var i = 0; i < count; i++)
                {
                    kestrel.Listen(IPAddress.Loopback, 0, listen =>
                    {
                        listen.Protocols = HttpProtocols.Http2;
                        listen.Use(next => connection =>
                        {
                            var port = (connection.LocalEndPoint as IPEndPoint)?.Port ?? 0;
                            if (!IsServing(port)) { connection.Abort(); return Task.CompletedTask; }
                            return next(connection);
                        });
                        listen.UseHttps(new TlsHandshakeCallbackOptions { OnConnection = OnTlsHandshake });
                    });
                }
            });
            var app = builder.Build();
            app.MapGrpcService<EtcdGrpcService>();
            await app.StartAsync(cancellationToken);
            lock (_hosts) _hosts.Add(app);
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
            return addresses.Select(a => new Uri(a).Port).ToList();
        }
        finally
        {
            _hostLock.Release();
        }
    }

    /// <summary>One unassigned port: a spare one, or a new batch of <see cref="SpareBatchSize"/>.</summary>
    public async Task<int> AcquirePortAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (_spare.TryDequeue(out var port)) return port;
            foreach (var p in await BindPortsAsync(SpareBatchSize, cancellationToken)) _spare.Enqueue(p);
        }
    }

    /// <summary>Serves <paramref name="membership"/>'s member on <paramref name="port"/> with <paramref name="identity"/>'s TLS.</summary>
    public void Assign(int port, SimulatedEtcdMembership membership, EtcdServingIdentity identity) =>
        _bindings[port] = new PortBinding(membership, identity);

    /// <summary>The simulated etcd cluster whose member is bound to <paramref name="port"/>, if any.</summary>
    public SimulatedEtcdMembership? MembershipOn(int port) => _bindings.TryGetValue(port, out var binding) ? binding.Membership : null;

    private bool IsServing(int port) => _bindings.TryGetValue(port, out var binding) && binding.Membership.IsServing(port);

    private ValueTask<SslServerAuthenticationOptions> OnTlsHandshake(TlsHandshakeCallbackContext context)
    {
        var port = (context.Connection.LocalEndPoint as IPEndPoint)?.Port ?? 0;
        if (!_bindings.TryGetValue(port, out var binding))
            throw new AuthenticationException($"no simulated etcd member is bound to port {port}");
        var identity = binding.Identity;
        return ValueTask.FromResult(new SslServerAuthenticationOptions
        {
            ServerCertificateContext = identity.Context,
            ClientCertificateRequired = true,
            CertificateChainPolicy = identity.ClientTrust,
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _hostLock.WaitAsync();
        try
        {
            if (_disposed) return;
            _disposed = true;
            List<WebApplication> hosts;
            lock (_hosts) { hosts = [.. _hosts]; _hosts.Clear(); }
            await Task.WhenAll(hosts.Select(async h => { await h.StopAsync(); await h.DisposeAsync(); }));
        }
        finally
        {
            _hostLock.Release();
        }
    }

    private sealed record PortBinding(SimulatedEtcdMembership Membership, EtcdServingIdentity Identity);
}

/// <summary>The TLS identity a cluster's simulated members serve with: a server certificate (SAN 127.0.0.1, localhost) from the etcd CA.</summary>
public sealed class EtcdServingIdentity
{
    public EtcdServingIdentity(CertificateAuthority ca, IssuedCertificate serverCertificate)
    {
        Ca = ca;
        ServerCertificate = serverCertificate;
        Context = ca.IdentityOf(serverCertificate);
        ClientTrust = ca.TrustPolicy(requireClientAuth: true);
    }

    /// <summary>What a client's certificate must chain to (this etcd CA, clientAuth), built once for every handshake.</summary>
    public System.Security.Cryptography.X509Certificates.X509ChainPolicy ClientTrust { get; }

    public CertificateAuthority Ca { get; }
    public IssuedCertificate ServerCertificate { get; }
    public SslStreamCertificateContext Context { get; }
}
