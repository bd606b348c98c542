using System.Collections.Concurrent;
using CapiUpgrade.Core.Capi;
using CapiUpgrade.Kubernetes.Api;
using CapiUpgrade.Kubernetes.Management;
using CapiUpgrade.Kubernetes.Retries;
using CapiUpgrade.Kubernetes.Watching;
using k8s;

namespace CapiUpgrade.Kubernetes.Workload;

/// <summary>
/// Workload clusters reached through their <c>&lt;cluster&gt;-kubeconfig</c> secrets (see <see cref="IWorkloadClusters"/>).
/// A client nobody asked for during <see cref="KubernetesAccessOptions.IdleClusterExpiry"/>, of a cluster whose
/// watches are stopped, is forgotten as <see cref="Forget"/> does (not disposed: a caller may still hold it).
/// </summary>
internal sealed class WorkloadClusters : IWorkloadClusters
{
    private readonly IManagementCluster _management;
    private readonly KubernetesAccessOptions _options;
    private readonly ConcurrentDictionary<ClusterKey, Lazy<Task<WorkloadCluster>>> _clients = new();
    private readonly ConcurrentDictionary<ClusterKey, long> _lastAskedTicks = new();
    private readonly Dictionary<ClusterKey, WatchEntry> _watches = [];
    private readonly SemaphoreSlim _watchGate = new(1, 1);
    private readonly Timer _sweeper;

    public WorkloadClusters(IManagementCluster management, KubernetesAccessOptions options)
    {
        _management = management;
        _options = options;
        _sweeper = new Timer(_ => _ = ForgetIdleAsync(), null, options.IdleClusterSweep, options.IdleClusterSweep);
    }

    /// <summary>Forgets the clients idle for the expiry whose clusters have no watch running or lingering; how many.</summary>
    internal async Task<int> ForgetIdleAsync()
    {
        var forgotten = 0;
        await _watchGate.WaitAsync();
        try
        {
            foreach (var (cluster, asked) in _lastAskedTicks)
            {
                if (Environment.TickCount64 - asked < _options.IdleClusterExpiry.TotalMilliseconds || _watches.ContainsKey(cluster))
                    continue;
                // Only if nobody asked since (a caller that did keeps the client, or gets a new one).
                if (_lastAskedTicks.TryRemove(new KeyValuePair<ClusterKey, long>(cluster, asked)) && _clients.TryRemove(cluster, out _))
                    forgotten++;
            }
        }
        finally
        {
            _watchGate.Release();
        }
        return forgotten;
    }

    public async Task<IWorkloadCluster> GetAsync(ClusterKey cluster, CancellationToken cancellationToken) =>
        await GetClusterAsync(cluster, cancellationToken);

    private async Task<WorkloadCluster> GetClusterAsync(ClusterKey cluster, CancellationToken cancellationToken)
    {
        _lastAskedTicks[cluster] = Environment.TickCount64;
        var lazy = _clients.GetOrAdd(cluster, key => new Lazy<Task<WorkloadCluster>>(() => ConnectAsync(key, CancellationToken.None)));
        try
        {
            return await lazy.Value.WaitAsync(cancellationToken);
        }
        catch (Exception) when (lazy.Value.IsFaulted)
        {
            _clients.TryRemove(new KeyValuePair<ClusterKey, Lazy<Task<WorkloadCluster>>>(cluster, lazy));
            throw;
        }
    }

    private async Task<WorkloadCluster> ConnectAsync(ClusterKey cluster, CancellationToken ct)
    {
        var secretName = CapiConventions.KubeconfigSecretName(cluster.Name);
        var data = await _management.GetSecretDataAsync(cluster.Namespace, secretName, ct)
            ?? throw new WorkloadAccessException($"Secret {cluster.Namespace}/{secretName} does not exist on management cluster '{_management.Name}'; the workload cluster {cluster} cannot be reached until Cluster API has written its kubeconfig.");
        if (!data.TryGetValue("value", out var kubeconfig) || kubeconfig.Length == 0)
            throw new WorkloadAccessException($"Secret {cluster.Namespace}/{secretName} has no key 'value' with a kubeconfig; Cluster API stores the workload kubeconfig there — check the secret.");
        KubernetesClientConfiguration config;
        try
        {
            using var stream = new MemoryStream(kubeconfig);
            config = KubernetesClientConfiguration.BuildConfigFromConfigFile(stream);
        }
        catch (Exception e)
        {
            throw new WorkloadAccessException($"The kubeconfig in secret {cluster.Namespace}/{secretName} (key 'value') cannot be used: {e.Message}. Check its server URL and certificate data.", e);
        }
        var client = KubernetesClients.Create(config, _options.RequestTimeout);
        var resources = new ResourceClient(client, RetryRunner.ForKubernetes(_options.Api), $"workload cluster {cluster} ({config.Host})");
        return new WorkloadCluster(cluster, resources, _options.Api, new Lazy<k8s.Kubernetes>(() => new k8s.Kubernetes(config)));
    }

    public void Forget(ClusterKey cluster)
    {
        // Callers may still hold the old client: it is dropped from the cache, not disposed.
        _clients.TryRemove(cluster, out _);
        _lastAskedTicks.TryRemove(cluster, out _);
    }

    /// <summary>True while the cluster's client is cached (tests).</summary>
    internal bool IsCached(ClusterKey cluster) => _clients.ContainsKey(cluster);

    public async Task<WorkloadWatchSubscription> WatchAsync(ClusterKey cluster, Action<WorkloadEvent> onEvent, CancellationToken cancellationToken)
    {
        WatchEntry entry;
        await _watchGate.WaitAsync(cancellationToken);
        try
        {
            if (_watches.TryGetValue(cluster, out entry!) && (entry.Nodes.IsFailed || entry.Pods.IsFailed))
            {
                _watches.Remove(cluster);
                entry.PendingStop?.Cancel();
                _ = entry.Nodes.DisposeAsync().AsTask();
                _ = entry.Pods.DisposeAsync().AsTask();
            }
            if (!_watches.TryGetValue(cluster, out entry!))
            {
                var workload = await GetClusterAsync(cluster, cancellationToken);
                var resources = workload.Resources;
                entry = new WatchEntry(
                    new SharedInformer(ResourceKind.Node, $"Nodes of workload cluster {cluster}",
                        ct => resources.ListAsync(ResourceKind.Node, null, null, ct),
                        (rv, timeout, onError, ct) => resources.WatchAsync(ResourceKind.Node, null, rv, timeout, onError, ct),
                        _ => cluster, _options.Watch),
                    new SharedInformer(ResourceKind.Pod, $"kube-system Pods of workload cluster {cluster}",
                        ct => resources.ListAsync(ResourceKind.Pod, "kube-system", null, ct),
                        (rv, timeout, onError, ct) => resources.WatchAsync(ResourceKind.Pod, "kube-system", rv, timeout, onError, ct),
                        _ => cluster, _options.Watch));
                entry.Nodes.Start();
                entry.Pods.Start();
                _watches[cluster] = entry;
            }
            entry.Subscribers++;
            entry.PendingStop?.Cancel();
            entry.PendingStop = null;
        }
        finally
        {
            _watchGate.Release();
        }

        WatchSubscription? nodes = null;
        WatchSubscription? pods = null;
        try
        {
            nodes = await entry.Nodes.SubscribeAsync(cluster, e => onEvent(new WorkloadEvent(cluster, WorkloadObjectKind.Node, e.Type, WorkloadParsing.ToNode(e.Object), null, e.IsReplay)), cancellationToken);
            pods = await entry.Pods.SubscribeAsync(cluster, e => onEvent(new WorkloadEvent(cluster, WorkloadObjectKind.Pod, e.Type, null, WorkloadParsing.ToPod(e.Object), e.IsReplay)), cancellationToken);
        }
        catch
        {
            nodes?.Dispose();
            await ReleaseAsync(cluster, entry);
            throw;
        }
        return new WorkloadWatchSubscription(
            nodes.Snapshot.Select(WorkloadParsing.ToNode).ToList(),
            pods.Snapshot.Select(WorkloadParsing.ToPod).ToList(),
            () =>
            {
                nodes.Dispose();
                pods.Dispose();
                _ = ReleaseAsync(cluster, entry);
            });
    }

    public IReadOnlyList<NodeInfo>? CachedNodes(ClusterKey cluster) => Entry(cluster)?.Nodes.Cached(cluster)?.Select(WorkloadParsing.ToNode).ToList();

    public IReadOnlyList<PodInfo>? CachedPods(ClusterKey cluster) => Entry(cluster)?.Pods.Cached(cluster)?.Select(WorkloadParsing.ToPod).ToList();

    private WatchEntry? Entry(ClusterKey cluster)
    {
        _watchGate.Wait();
        try { return _watches.TryGetValue(cluster, out var entry) && !entry.Nodes.IsFailed && !entry.Pods.IsFailed ? entry : null; }
        finally { _watchGate.Release(); }
    }

    /// <summary>True while the cluster's Node/Pod watches run (tests).</summary>
    internal bool IsWatching(ClusterKey cluster)
    {
        _watchGate.Wait();
        try { return _watches.ContainsKey(cluster); }
        finally { _watchGate.Release(); }
    }

    private async Task ReleaseAsync(ClusterKey cluster, WatchEntry entry)
    {
        CancellationTokenSource linger;
        await _watchGate.WaitAsync();
        try
        {
            if (--entry.Subscribers > 0 || !_watches.TryGetValue(cluster, out var current) || current != entry)
                return;
            if (_options.Watch.WorkloadWatchLinger <= TimeSpan.Zero)
            {
                _watches.Remove(cluster);
                linger = new CancellationTokenSource();
                linger.Cancel();
            }
            else
            {
                linger = new CancellationTokenSource();
                entry.PendingStop = linger;
            }
        }
        finally
        {
            _watchGate.Release();
        }

        if (!linger.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.Watch.WorkloadWatchLinger, linger.Token);
            }
            catch (OperationCanceledException)
            {
                return; // a new subscriber came: keep the watches
            }
            await _watchGate.WaitAsync();
            try
            {
                if (entry.Subscribers > 0 || entry.PendingStop != linger || !_watches.Remove(cluster))
                    return;
                entry.PendingStop = null;
            }
            finally
            {
                _watchGate.Release();
            }
        }
        await entry.Nodes.DisposeAsync();
        await entry.Pods.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _sweeper.DisposeAsync();
        List<WatchEntry> entries;
        await _watchGate.WaitAsync();
        try
        {
            entries = _watches.Values.ToList();
            _watches.Clear();
            foreach (var entry in entries)
                entry.PendingStop?.Cancel();
        }
        finally
        {
            _watchGate.Release();
        }
        foreach (var entry in entries)
        {
            await entry.Nodes.DisposeAsync();
            await entry.Pods.DisposeAsync();
        }
        foreach (var lazy in _clients.Values)
        {
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully)
                lazy.Value.Result.Dispose();
        }
        _clients.Clear();
    }

    private sealed class WatchEntry(SharedInformer nodes, SharedInformer pods)
    {
        public SharedInformer Nodes { get; } = nodes;
        public SharedInformer Pods { get; } = pods;
        public int Subscribers { get; set; }
        public CancellationTokenSource? PendingStop { get; set; }
    }
}
