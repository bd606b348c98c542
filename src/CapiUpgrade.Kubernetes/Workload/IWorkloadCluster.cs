using CapiUpgrade.Kubernetes.Management;

namespace CapiUpgrade.Kubernetes.Workload;

/// <summary>
/// Access to one workload cluster's API server over TLS with the client certificate from the
/// <c>&lt;cluster&gt;-kubeconfig</c> secret. Transient failures are retried; see <see cref="Retries.RetryOptions"/>.
/// </summary>
public interface IWorkloadCluster
{
    /// <summary>The workload cluster.</summary>
    ClusterKey Cluster { get; }

    /// <summary>All Nodes.</summary>
    Task<IReadOnlyList<NodeInfo>> ListNodesAsync(CancellationToken cancellationToken);

    /// <summary>One Node by name; null when absent.</summary>
    Task<NodeInfo?> GetNodeAsync(string name, CancellationToken cancellationToken);

    /// <summary>kube-system Pods, optionally by label selector (e.g. <c>tier=control-plane</c>, <c>component=etcd</c>).</summary>
    Task<IReadOnlyList<PodInfo>> ListKubeSystemPodsAsync(string? labelSelector, CancellationToken cancellationToken);

    /// <summary>The client URLs of every etcd static pod (annotation <c>kubeadm.kubernetes.io/etcd.advertise-client-urls</c>), by node name.</summary>
    Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> GetEtcdClientUrlsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// A byte stream to <paramref name="port"/> inside pod <paramref name="namespace"/>/<paramref name="pod"/>, through
    /// the API server (`pods/portforward` over a WebSocket; RBAC: create on pods/portforward), as `kubectl port-forward`
    /// and Cluster API's KubeadmControlPlane reach etcd members the management cluster cannot dial.
    /// </summary>
    Task<Stream> PortForwardAsync(string @namespace, string pod, int port, CancellationToken cancellationToken);

    /// <summary>A ConfigMap; null when absent.</summary>
    Task<ConfigMapData?> GetConfigMapAsync(string @namespace, string name, CancellationToken cancellationToken);

    /// <summary>
    /// Read-modify-write of a ConfigMap's data with retry on conflict: <paramref name="mutate"/> gets the current
    /// data and returns the new data, or null to leave it unchanged (e.g. kubeadm-config already right).
    /// Returns the stored ConfigMap, null when it does not exist.
    /// </summary>
    Task<ConfigMapData?> UpdateConfigMapAsync(string @namespace, string name, Func<IReadOnlyDictionary<string, string>, IReadOnlyDictionary<string, string>?> mutate, CancellationToken cancellationToken);

    /// <summary>Creates the ConfigMap, or returns the existing one unchanged (create-or-get). Second item: created by this call.</summary>
    Task<(ConfigMapData ConfigMap, bool Created)> CreateOrGetConfigMapAsync(string @namespace, string name, IReadOnlyDictionary<string, string> data, CancellationToken cancellationToken);

    /// <summary>Creates the Role or keeps the existing one (create-or-get). True when created.</summary>
    Task<bool> EnsureRoleAsync(string @namespace, string name, IReadOnlyList<RbacRule> rules, CancellationToken cancellationToken);

    /// <summary>Creates the RoleBinding (to Role <paramref name="roleName"/>) or keeps the existing one. True when created.</summary>
    Task<bool> EnsureRoleBindingAsync(string @namespace, string name, string roleName, IReadOnlyList<RbacSubject> subjects, CancellationToken cancellationToken);

    /// <summary>Creates the ClusterRole or keeps the existing one. True when created.</summary>
    Task<bool> EnsureClusterRoleAsync(string name, IReadOnlyList<RbacRule> rules, CancellationToken cancellationToken);

    /// <summary>Creates the ClusterRoleBinding (to ClusterRole <paramref name="clusterRoleName"/>) or keeps the existing one. True when created.</summary>
    Task<bool> EnsureClusterRoleBindingAsync(string name, string clusterRoleName, IReadOnlyList<RbacSubject> subjects, CancellationToken cancellationToken);
}

/// <summary>
/// Workload clusters of one management cluster: connects from the <c>&lt;cluster&gt;-kubeconfig</c> secret
/// (cached per cluster), and runs the Node + kube-system Pod watches of a cluster only while someone
/// subscribes (i.e. while that cluster is being upgraded).
/// </summary>
public interface IWorkloadClusters : IAsyncDisposable
{
    /// <summary>
    /// The workload cluster's client (reads <c>&lt;cluster&gt;-kubeconfig</c> on first use; cached).
    /// Throws <see cref="WorkloadAccessException"/> naming the secret and key when it is missing or unusable.
    /// </summary>
    Task<IWorkloadCluster> GetAsync(ClusterKey cluster, CancellationToken cancellationToken);

    /// <summary>Drops the cached client (e.g. after the kubeconfig secret was rotated).</summary>
    void Forget(ClusterKey cluster);

    /// <summary>
    /// Subscribes to the cluster's Nodes and kube-system Pods. The first subscriber starts both watches (one
    /// list + one watch each); they stop <see cref="Watching.WatchOptions.WorkloadWatchLinger"/> after the last
    /// subscriber disposed (so consecutive waits of one upgrade share them). Current objects are replayed as Added
    /// (<see cref="WorkloadEvent.IsReplay"/>) before live events. Same resume/410 behaviour as
    /// <see cref="Watching.ISharedWatches"/>.
    /// </summary>
    Task<WorkloadWatchSubscription> WatchAsync(ClusterKey cluster, Action<WorkloadEvent> onEvent, CancellationToken cancellationToken);

    /// <summary>
    /// The cluster's Nodes from its running watch (no request), or null when it is not being watched — then use
    /// <see cref="IWorkloadCluster.ListNodesAsync"/>.
    /// </summary>
    IReadOnlyList<NodeInfo>? CachedNodes(ClusterKey cluster);

    /// <summary>The cluster's kube-system Pods from its running watch (no request), or null when it is not being watched.</summary>
    IReadOnlyList<PodInfo>? CachedPods(ClusterKey cluster);
}

/// <summary>A live workload watch subscription; <see cref="Nodes"/>/<see cref="Pods"/> are the state at subscription time.</summary>
public sealed class WorkloadWatchSubscription : IDisposable
{
    private Action? _unsubscribe;

    /// <summary>Creates the handle (used by the implementation).</summary>
    public WorkloadWatchSubscription(IReadOnlyList<NodeInfo> nodes, IReadOnlyList<PodInfo> pods, Action unsubscribe)
    {
        Nodes = nodes;
        Pods = pods;
        _unsubscribe = unsubscribe;
    }

    /// <summary>Nodes at subscription time.</summary>
    public IReadOnlyList<NodeInfo> Nodes { get; }
    /// <summary>kube-system Pods at subscription time.</summary>
    public IReadOnlyList<PodInfo> Pods { get; }

    /// <inheritdoc />
    public void Dispose() => Interlocked.Exchange(ref _unsubscribe, null)?.Invoke();
}

/// <summary>The workload cluster cannot be reached from what the management cluster holds (message names secret, key and fix).</summary>
public sealed class WorkloadAccessException(string message, Exception? inner = null) : Exception(message, inner);
