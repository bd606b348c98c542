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

    public static k8s.Kubernetes Create(KubernetesClientConfiguration configuration, TimeSpan requestTimeout)
    {
        configuration.HttpClientTimeout = requestTimeout;
        var client = new k8s.Kubernetes(configuration);
        var version = typeof(KubernetesClients).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        client.HttpClient.DefaultRequestHeaders.UserAgent.Clear();
        client.HttpClient.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue(UserAgentProduct, version));
        return client;
    }
}
