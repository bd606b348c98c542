using System.Net.Http.Headers;
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

    /// <param name="http11">Send every request over HTTP/1.1 (KubernetesClient asks for HTTP/2): for long watch streams, each on a connection of its own.</param>
    public static k8s.Kubernetes Create(KubernetesClientConfiguration configuration, TimeSpan requestTimeout, bool http11 = false)
    {
        configuration.HttpClientTimeout = requestTimeout;
        var client = http11 ? new k8s.Kubernetes(configuration, new Http11Handler()) : new k8s.Kubernetes(configuration);
        var version = typeof(KubernetesClients).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        client.HttpClient.DefaultRequestHeaders.UserAgent.Clear();
        client.HttpClient.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue(UserAgentProduct, version));
        return client;
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
