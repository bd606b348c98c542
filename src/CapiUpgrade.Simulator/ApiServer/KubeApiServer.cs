using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using CapiUpgrade.Simulator.ApiServer.Resources;
using CapiUpgrade.Simulator.ApiServer.Storage;
using CapiUpgrade.Simulator.ApiServer.Tls;

namespace CapiUpgrade.Simulator.ApiServer;
using Pki = CapiUpgrade.Simulator.ApiServer.Tls.Pki;

/// <summary>
/// One simulated kube-apiserver: its own object store, URL, credentials and request counter. Start one with
/// <see cref="StartAsync"/>, or many sharing one Kestrel with <see cref="KubeApiServerHost.StartAsync"/>.
/// </summary>
public sealed class KubeApiServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, bool> _validatedClientCerts = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private X509Certificate2? _adminCertificate;

    internal KubeApiServer(KubeApiServerOptions options)
    {
        Options = options;
        Registry = options.Registry ?? ResourceRegistry.CreateDefault();
        Store = new ObjectStore(Registry, options.WatchHistorySize) { Validator = options.Validator };
        Faults = new FaultInjector(Store);
        if (options.CreateDefaultNamespaces)
        {
            var ns = Registry.Find("", "v1", "namespaces")!;
            foreach (var name in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
                Store.Create(ns, null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = name } });
        }
    }

    public KubeApiServerOptions Options { get; }

    public string Name => Options.Name;

    public ResourceRegistry Registry { get; }

    /// <summary>The objects; read and write them directly for test setup (controllers must use HTTP).</summary>
    public ObjectStore Store { get; }

    /// <summary>Injected faults (latency, errors, cut watches), switchable at run time.</summary>
    public FaultInjector Faults { get; }

    /// <summary>Requests answered, by verb and resource.</summary>
    public RequestCounter Requests { get; } = new();

    /// <summary>The port actually listened on.</summary>
    public int Port { get; internal set; }

    public bool IsTls => Options.ServerCertificate is not null;

    /// <summary>https://127.0.0.1:PORT or http://127.0.0.1:PORT.</summary>
    public string Url => $"{(IsTls ? "https" : "http")}://127.0.0.1:{Port}";

    internal KubeApiServerHost? Host { get; set; }

    internal bool OwnsHost { get; set; }

    internal CancellationToken Stopping => _stopping.Token;

    public bool IsStopped => _stopping.IsCancellationRequested;

    /// <summary>Starts a single API server on its own Kestrel.</summary>
    public static async Task<KubeApiServer> StartAsync(KubeApiServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        var host = await KubeApiServerHost.StartAsync([options ?? new KubeApiServerOptions()], cancellationToken).ConfigureAwait(false);
        var server = host.Servers[0];
        server.OwnsHost = true;
        return server;
    }

    /// <summary>
    /// A kubeconfig for this server, with its CA, the admin client certificate (given or minted from the
    /// client CA) and the bearer token when configured.
    /// </summary>
    public string Kubeconfig()
    {
        var cert = AdminCertificate();
        return ApiServer.Kubeconfig.Build(Name, Url, Options.ServerCaPem,
            cert is null ? null : Pki.CertificatePem(cert), cert is null ? null : Pki.PrivateKeyPem(cert), Options.BearerToken);
    }

    /// <summary>The client certificate written into <see cref="Kubeconfig"/>, if any.</summary>
    public X509Certificate2? AdminCertificate()
    {
        if (Options.AdminClientCertificate is not null) return Options.AdminClientCertificate;
        if (Options.ClientCertificateAuthority is { HasPrivateKey: true } ca)
            return _adminCertificate ??= Pki.IssueClientCertificate(ca);
        return null;
    }

    internal bool IsAuthenticated(string? authorization, X509Certificate2? clientCertificate)
    {
        if (!Options.RequiresAuthentication) return true;
        if (Options.BearerToken is { } token && authorization is not null &&
            authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) &&
            authorization.AsSpan(7).Trim().SequenceEqual(token))
            return true;
        if (Options.ClientCertificateAuthority is { } ca && clientCertificate is not null)
            return _validatedClientCerts.GetOrAdd(clientCertificate.Thumbprint, _ => Pki.IsIssuedBy(clientCertificate, ca));
        return false;
    }

    /// <summary>Stops serving: open watches end and new connections are refused (the port closes with its host).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested) return;
        _stopping.Cancel();
        Store.CloseAllWatches();
        if (OwnsHost && Host is not null) await Host.DisposeAsync().ConfigureAwait(false);
    }
}
