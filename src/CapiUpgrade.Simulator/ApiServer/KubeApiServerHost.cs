using System.Net;
using System.Security.Authentication;
using CapiUpgrade.Simulator.ApiServer.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CapiUpgrade.Simulator.ApiServer;

/// <summary>
/// Many API servers on one Kestrel: one listener (port) per server, each with its own TLS certificate and
/// client CA; requests are routed by the connection's local port. Kestrel cannot add listeners once
/// started, so start servers in batches (one host per batch).
/// </summary>
public sealed class KubeApiServerHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Dictionary<int, KubeApiServer> _byPort;

    private KubeApiServerHost(WebApplication app, IReadOnlyList<KubeApiServer> servers)
    {
        _app = app;
        Servers = servers;
        _byPort = servers.ToDictionary(s => s.Port);
    }

    public IReadOnlyList<KubeApiServer> Servers { get; }

    /// <summary>Starts one Kestrel serving one API server per options entry.</summary>
    public static async Task<KubeApiServerHost> StartAsync(IReadOnlyList<KubeApiServerOptions> options, CancellationToken cancellationToken = default)
    {
        var servers = options.Select(o => new KubeApiServer(o)).ToList();
        var listeners = new ListenOptions[servers.Count];
        // No appsettings.json watching: one inotify instance per host would exhaust the per-user limit (128) in a large fleet.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"], EnvironmentName = "Production" });
        builder.Logging.ClearProviders();
        // A library must not take over the process's Ctrl-C/SIGTERM handling (ConsoleLifetime would).
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.WebHost.UseKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MinResponseDataRate = null;
            k.Limits.MinRequestBodyDataRate = null;
            k.Limits.MaxConcurrentConnections = null;
            k.Limits.MaxConcurrentUpgradedConnections = null;
            k.Limits.Http2.MaxStreamsPerConnection = 10_000;
            k.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(10);
            for (var i = 0; i < servers.Count; i++)
            {
                var server = servers[i];
                var index = i;
                var clientTrust = server.Options.ClientCertificateAuthority is { } clientCa ? Tls.Pki.TrustOnly(clientCa) : null;
                k.Listen(IPAddress.Loopback, server.Options.Port, lo =>
                {
                    listeners[index] = lo;
                    if (server.Options.ServerCertificate is { } cert)
                    {
                        lo.Protocols = HttpProtocols.Http1AndHttp2;
                        lo.UseHttps(new HttpsConnectionAdapterOptions
                        {
                            ServerCertificate = cert,
                            SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                            ClientCertificateMode = server.Options.ClientCertificateAuthority is null ? ClientCertificateMode.NoCertificate : ClientCertificateMode.AllowCertificate,
                            // Checked per request against the server's client CA, so a wrong certificate gets a 401 Status, as from a real server.
                            ClientCertificateValidation = (_, _, _) => true,
                            CheckCertificateRevocation = false,
                            // The chain SslStream builds for a client certificate (before the check above) is built
                            // against the server's client CA only, not the system's roots: a handshake costs less.
                            OnAuthenticate = clientTrust is null ? null : (_, ssl) => ssl.CertificateChainPolicy = clientTrust,
                        });
                    }
                    else
                    {
                        lo.Protocols = HttpProtocols.Http1;
                    }
                });
            }
        });
        var app = builder.Build();
        KubeApiServerHost? host = null;
        app.UseWebSockets(); // pods/portforward
        app.Run(context => host is null ? Task.CompletedTask : host.DispatchAsync(context));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < servers.Count; i++)
            servers[i].Port = ((IPEndPoint)listeners[i].EndPoint).Port;
        host = new KubeApiServerHost(app, servers);
        foreach (var s in servers) s.Host = host;
        return host;
    }

    private Task DispatchAsync(HttpContext context)
    {
        if (!_byPort.TryGetValue(context.Connection.LocalPort, out var server) || server.IsStopped)
        {
            context.Abort();
            return Task.CompletedTask;
        }
        return RequestHandler.HandleAsync(server, context);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var s in Servers)
        {
            if (!s.IsStopped && !s.OwnsHost) await s.DisposeAsync().ConfigureAwait(false);
            else s.Store.CloseAllWatches();
        }
        await _app.StopAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>A host lifetime that installs no signal handlers: the embedding program decides when to stop.</summary>
internal sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
