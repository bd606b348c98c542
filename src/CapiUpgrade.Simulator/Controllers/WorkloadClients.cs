using System.Collections.Concurrent;
using CapiUpgrade.Simulator.Fleet;

namespace CapiUpgrade.Simulator.Controllers;

/// <summary>
/// Clients for workload API servers, built as Cluster API builds them: from the `value` of the
/// `&lt;cluster&gt;-kubeconfig` secret read over the management API (TLS by the cluster CA, client certificate).
/// </summary>
public sealed class WorkloadClients(KubeHttpClient management) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<KubeHttpClient>>> _clients = new(StringComparer.Ordinal);

    /// <summary>The client of workload cluster `namespace/name`.</summary>
    public async Task<KubeHttpClient> ForAsync(string ns, string cluster, CancellationToken cancellationToken = default)
    {
        var lazy = _clients.GetOrAdd(ns + "/" + cluster, _ => new Lazy<Task<KubeHttpClient>>(() => CreateAsync(ns, cluster, cancellationToken)));
        try
        {
            return await lazy.Value;
        }
        catch
        {
            _clients.TryRemove(new KeyValuePair<string, Lazy<Task<KubeHttpClient>>>(ns + "/" + cluster, lazy));
            throw;
        }
    }

    private async Task<KubeHttpClient> CreateAsync(string ns, string cluster, CancellationToken cancellationToken)
    {
        var secret = await management.GetAsync($"{ApiPaths.Secrets(ns)}/{cluster}-kubeconfig", cancellationToken)
            ?? throw new InvalidOperationException($"secret {ns}/{cluster}-kubeconfig not found: the workload cluster {ns}/{cluster} cannot be reached (Cluster API writes it at cluster creation; restore it).");
        var value = Json.Str(secret, "data", "value")
            ?? throw new InvalidOperationException($"secret {ns}/{cluster}-kubeconfig has no data.value.");
        return KubeHttpClient.FromKubeconfig(Json.FromB64(value));
    }

    public void Dispose()
    {
        foreach (var lazy in _clients.Values)
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully) lazy.Value.Result.Dispose();
    }
}
