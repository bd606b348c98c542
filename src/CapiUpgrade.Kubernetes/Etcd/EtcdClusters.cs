using System.Collections.Concurrent;
using System.Text;
using CapiUpgrade.Core.Capi;
using CapiUpgrade.Kubernetes.Certificates;
using CapiUpgrade.Kubernetes.Management;
using CapiUpgrade.Kubernetes.Workload;

namespace CapiUpgrade.Kubernetes.Etcd;

/// <summary>
/// etcd connections of workload clusters (see <see cref="IEtcdClusters"/>): one shared <see cref="EtcdCluster"/>
/// per cluster, its CA read from <c>&lt;cluster&gt;-etcd</c> and its endpoints from the etcd static pods once;
/// afterwards endpoints follow MemberList, so joins and removals need no further API requests.
/// </summary>
internal sealed class EtcdClusters(IManagementCluster management, IWorkloadClusters workloads, KubernetesAccessOptions options) : IEtcdClusters, IAsyncDisposable
{
    private readonly ConcurrentDictionary<ClusterKey, Lazy<Task<EtcdCluster>>> _clusters = new();

    public async Task<IEtcdCluster> ConnectAsync(ClusterKey cluster, CancellationToken cancellationToken)
    {
        var lazy = _clusters.GetOrAdd(cluster, key => new Lazy<Task<EtcdCluster>>(() => OpenAsync(key, CancellationToken.None)));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken);
        }
        catch (Exception) when (lazy.Value.IsFaulted)
        {
            _clusters.TryRemove(new KeyValuePair<ClusterKey, Lazy<Task<EtcdCluster>>>(cluster, lazy));
            throw;
        }
    }

    public void Forget(ClusterKey cluster)
    {
        if (_clusters.TryRemove(cluster, out var lazy) && lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
            lazy.Value.Result.Close();
    }

    private async Task<EtcdCluster> OpenAsync(ClusterKey cluster, CancellationToken ct)
    {
        var secretName = CapiConventions.EtcdCaSecretName(cluster.Name);
        var data = await management.GetSecretDataAsync(cluster.Namespace, secretName, ct)
            ?? throw new EtcdOperationException($"Secret {cluster.Namespace}/{secretName} (the etcd CA) does not exist on management cluster '{management.Name}'; without it no etcd client certificate can be minted.");
        if (!data.TryGetValue("tls.crt", out var crt) || !data.TryGetValue("tls.key", out var key))
            throw new EtcdOperationException($"Secret {cluster.Namespace}/{secretName} lacks key 'tls.crt' or 'tls.key' (the etcd CA certificate and key, PEM); Cluster API writes both — check the secret.");
        EtcdClientCredentials credentials;
        try
        {
            credentials = EtcdClientCertificate.Mint(Encoding.UTF8.GetString(crt), Encoding.UTF8.GetString(key));
        }
        catch (Exception e)
        {
            throw new EtcdOperationException($"Secret {cluster.Namespace}/{secretName}: cannot mint an etcd client certificate from tls.crt/tls.key: {e.Message}", e);
        }

        var workload = await workloads.GetAsync(cluster, ct);
        var urlsByNode = await workload.GetEtcdClientUrlsAsync(ct);
        var endpoints = urlsByNode.Values.SelectMany(u => u).Distinct().ToList();
        if (endpoints.Count == 0)
            throw new EtcdOperationException($"No etcd static pod in kube-system of workload cluster {cluster} carries annotation {CapiConventions.EtcdAdvertiseClientUrlsAnnotation}; cannot find the etcd members' client URLs.");
        var connection = new EtcdCluster(endpoints, credentials, options.Etcd, cluster, null, urlsByNode, sharedByFactory: true);
        connection.SetReseed(async token =>
        {
            var current = await (await workloads.GetAsync(cluster, token)).GetEtcdClientUrlsAsync(token);
            return current.Values.SelectMany(u => u).Distinct().ToList();
        });
        return connection;
    }

    public ValueTask DisposeAsync()
    {
        foreach (var lazy in _clusters.Values)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
                lazy.Value.Result.Close();
        }
        _clusters.Clear();
        return ValueTask.CompletedTask;
    }
}
