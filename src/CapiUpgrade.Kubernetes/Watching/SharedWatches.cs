using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using CapiUpgrade.Kubernetes.Api;
using CapiUpgrade.Kubernetes.Management;

namespace CapiUpgrade.Kubernetes.Watching;

/// <summary>The management cluster's shared watches: one <see cref="SharedInformer"/> per kind, all namespaces, started lazily.</summary>
internal sealed class SharedWatches(ResourceClient resources, WatchOptions options) : ISharedWatches
{
    private readonly ConcurrentDictionary<ResourceKind, Lazy<SharedInformer>> _informers = new();
    private volatile bool _disposed;

    public Task<WatchSubscription> SubscribeAsync(ResourceKind kind, ClusterKey cluster, Action<ResourceEvent> onEvent, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return InformerFor(kind).SubscribeAsync(cluster, onEvent, cancellationToken);
    }

    public IReadOnlyList<JsonObject>? Cached(ResourceKind kind, ClusterKey cluster) =>
        _informers.TryGetValue(kind, out var informer) && informer.IsValueCreated ? informer.Value.Cached(cluster) : null;

    public IReadOnlyCollection<ResourceKind> WatchedKinds => _informers.Keys.ToList();

    /// <summary>The informer of a kind (for tests: request counters, resourceVersion).</summary>
    internal SharedInformer InformerFor(ResourceKind kind)
    {
        if (_informers.TryGetValue(kind, out var existing) && existing.IsValueCreated && existing.Value.IsFailed)
            _informers.TryRemove(new KeyValuePair<ResourceKind, Lazy<SharedInformer>>(kind, existing));
        return _informers.GetOrAdd(kind, k => new Lazy<SharedInformer>(() =>
        {
            var informer = new SharedInformer(k, $"{k.Kind} objects on {resources.Server}",
                ct => resources.ListAsync(k, null, null, ct),
                (rv, timeout, onError, ct) => resources.WatchAsync(k, null, rv, timeout, onError, ct),
                obj => ClusterOwnership.ClusterOf(k, obj),
                options);
            informer.Start();
            return informer;
        })).Value;
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        foreach (var informer in _informers.Values.Where(l => l.IsValueCreated))
            await informer.Value.DisposeAsync();
    }
}
