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
/// afterwards endpoints follow MemberList, so joins and removals need no further API requests. A connection no call
/// used for <see cref="KubernetesAccessOptions.IdleClusterExpiry"/> is closed and forgotten: a service that
/// upgrades hundreds of clusters, each once, does not keep a connection to every member it ever talked to.
/// </summary>
internal sealed class EtcdClusters : IEtcdClusters, IAsyncDisposable
{
    private readonly ConcurrentDictionary<ClusterKey, Lazy<Task<EtcdCluster>>> _clusters = new();
    private readonly IManagementCluster _management;
    private readonly IWorkloadClusters _workloads;
    private readonly KubernetesAccessOptions _options;
    private readonly Timer _sweeper;

    public EtcdClusters(IManagementCluster management, IWorkloadClusters workloads, KubernetesAccessOptions options)
    {
        _management = management;
        _workloads = workloads;
        _options = options;
        _sweeper = new Timer(_ => CloseIdleQuietly(), null, options.IdleClusterSweep, options.IdleClusterSweep);
    }

    /// <summary>The sweep on its timer: a close that fails (a channel that would not dispose) is tried again at the next sweep, never thrown on the timer's thread.</summary>
    private void CloseIdleQuietly()
    {
        try
        {
            CloseIdle();
        }
        catch (Exception)
        {
            // Left in the cache and stamped idle still: the next sweep tries again.
        }
    }

    /// <summary>Closes and forgets the connections idle for the expiry; how many.</summary>
    internal int CloseIdle()
    {
        var closed = 0;
        foreach (var (cluster, lazy) in _clusters)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully && lazy.Value.Result.CloseIfIdle(_options.IdleClusterExpiry)
                && _clusters.TryRemove(new KeyValuePair<ClusterKey, Lazy<Task<EtcdCluster>>>(cluster, lazy)))
                closed++;
        }
        return closed;
    }

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
        var data = await _management.GetSecretDataAsync(cluster.Namespace, secretName, ct)
            ?? throw new EtcdOperationException($"Secret {cluster.Namespace}/{secretName} (the etcd CA) does not exist on management cluster '{_management.Name}'; without it no etcd client certificate can be minted.");
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

        var workload = await _workloads.GetAsync(cluster, ct);
        var urlsByNode = await workload.GetEtcdClientUrlsAsync(ct);
        var endpoints = urlsByNode.Values.SelectMany(u => u).Distinct().ToList();
        if (endpoints.Count == 0)
            throw new EtcdOperationException($"No etcd static pod in kube-system of workload cluster {cluster} carries annotation {CapiConventions.EtcdAdvertiseClientUrlsAnnotation}; cannot find the etcd members' client URLs.");
        var connection = new EtcdCluster(endpoints, credentials, _options.Etcd, cluster, null, urlsByNode, sharedByFactory: true);
        if (_options.EtcdAccess == EtcdAccess.PortForward)
            connection.SetConnector((url, token) => PortForwardToMemberAsync(cluster, url, token));
        connection.SetReseed(async token =>
        {
            var current = await (await _workloads.GetAsync(cluster, token)).GetEtcdClientUrlsAsync(token);
            return current.Values.SelectMany(u => u).Distinct().ToList();
        });
        return connection;
    }

    /// <summary>
    /// A stream to the member at <paramref name="url"/> through the workload API server: a port-forward to the etcd
    /// static pod that advertises that URL (looked up when the connection is opened, so a member that joined since
    /// is found), on the URL's port.
    /// </summary>
    private async Task<Stream> PortForwardToMemberAsync(ClusterKey cluster, Uri url, CancellationToken ct)
    {
        var workload = await _workloads.GetAsync(cluster, ct);
        var pods = await workload.ListKubeSystemPodsAsync("component=etcd", ct);
        var pod = pods.FirstOrDefault(p => p.EtcdClientUrls.Any(u => Uri.TryCreate(u, UriKind.Absolute, out var advertised)
                                                                      && string.Equals(advertised.Host, url.Host, StringComparison.OrdinalIgnoreCase) && advertised.Port == url.Port))
            ?? throw new EtcdOperationException($"No etcd static pod in kube-system of workload cluster {cluster} advertises {url.GetLeftPart(UriPartial.Authority)} (annotation {CapiConventions.EtcdAdvertiseClientUrlsAnnotation}); with etcd access through port-forward, a member is reached through its pod.");
        return await workload.PortForwardAsync("kube-system", pod.Name, url.Port, ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _sweeper.DisposeAsync();
        foreach (var lazy in _clusters.Values)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
                lazy.Value.Result.Close();
        }
        _clusters.Clear();
    }
}
