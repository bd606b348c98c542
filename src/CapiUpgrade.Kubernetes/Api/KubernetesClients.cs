using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using CapiUpgrade.Kubernetes.Certificates;
using k8s;

namespace CapiUpgrade.Kubernetes.Api;

/// <summary>KubernetesClient instances as the engine uses them: one place for the timeout and the User-Agent.</summary>
public static class KubernetesClients
{
    /// <summary>
    /// The User-Agent product of every request the engine sends: audit logs (and the simulator's request
    /// counters) tell the upgrader's requests from the controllers' and people's.
    /// </summary>
    public const string UserAgentProduct = "capi-upgrade";

    /// <summary>The product and this build's version, <c>capi-upgrade/1.2.3</c>.</summary>
    public static ProductInfoHeaderValue UserAgent { get; } =
        new(UserAgentProduct, typeof(KubernetesClients).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");

    /// <param name="http11">Send every request over HTTP/1.1 (KubernetesClient asks for HTTP/2): for long watch streams, each on a connection of its own.</param>
    public static k8s.Kubernetes Create(KubernetesClientConfiguration configuration, TimeSpan requestTimeout, bool http11 = false)
    {
        configuration.HttpClientTimeout = requestTimeout;
        var first = new ResponseBufferingHandler();
        var client = http11
            ? new k8s.Kubernetes(configuration, first, new Http11Handler())
            : new k8s.Kubernetes(configuration, first);
        TrustOnlyTheKubeconfigAuthority(first, configuration);
        client.HttpClient.DefaultRequestHeaders.UserAgent.Clear();
        client.HttpClient.DefaultRequestHeaders.UserAgent.Add(UserAgent);
        return client;
    }

    /// <summary>
    /// KubernetesClient validates a server in a callback that builds a second certificate chain after SslStream's
    /// own (against the system roots), and rebuilds its client certificate's chain on every connection. With the
    /// kubeconfig's certificate authority, the connection now trusts that authority only — as kubectl does —
    /// and checks the server's name, with one chain per handshake (<see cref="TlsTrust"/>).
    /// </summary>
    private static void TrustOnlyTheKubeconfigAuthority(DelegatingHandler first, KubernetesClientConfiguration configuration)
    {
        HttpMessageHandler? handler = first;
        while (handler is DelegatingHandler delegating) handler = delegating.InnerHandler;
        if (configuration.SkipTlsVerify || configuration.SslCaCerts is not { Count: > 0 } authorities || handler is not SocketsHttpHandler sockets
            || !configuration.Host.StartsWith("https:", StringComparison.OrdinalIgnoreCase))
            return;
        var ssl = sockets.SslOptions;
        var identity = ssl.ClientCertificates?.OfType<X509Certificate2>().FirstOrDefault() is { } certificate ? TlsTrust.ClientIdentity(certificate) : null;
        TlsTrust.Apply(ssl, TlsTrust.OnlyAuthorities(authorities), identity);
    }

    /// <summary>
    /// Reads every response body but a watch's into memory asynchronously before KubernetesClient sees it.
    /// KubernetesClient deserializes a response with a synchronous read of the network stream: each request
    /// in flight held a thread-pool thread until its body had arrived. With hundreds of upgrades waiting on a
    /// slow API server that starved the thread pool (a service stalled 20 s with 150 threads, 103 of them in
    /// that read). A watch streams: its body is left alone.
    /// </summary>
    public sealed class ResponseBufferingHandler : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (IsWatch(request.RequestUri)) return response;
            try
            {
                await response.Content.LoadIntoBufferAsync(cancellationToken);
                return response;
            }
            catch
            {
                response.Dispose();
                throw;
            }
        }

        private static bool IsWatch(Uri? uri) =>
            uri?.Query is { Length: > 1 } query && query[1..].Split('&').Any(p => p.Equals("watch=true", StringComparison.OrdinalIgnoreCase) || p.Equals("watch=1", StringComparison.Ordinal));
    }

    private sealed class Http11Handler : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Version = System.Net.HttpVersion.Version11;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
            return base.SendAsync(request, cancellationToken);
        }
    }
}
