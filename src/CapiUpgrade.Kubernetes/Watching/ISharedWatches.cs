using System.Text.Json.Nodes;
using CapiUpgrade.Kubernetes.Management;

namespace CapiUpgrade.Kubernetes.Watching;

/// <summary>
/// Shared informers of one management cluster (like client-go's): at most ONE list+watch per resource kind,
/// all namespaces, started on the first subscription and kept with a local cache; events are fanned out to
/// subscribers by <see cref="ClusterKey"/>. A broken watch resumes from the last seen resourceVersion;
/// 410 Gone triggers a re-list whose differences are delivered as Added/Modified/Deleted.
/// Waiting for something to happen = subscribing; never poll.
/// </summary>
public interface ISharedWatches : IAsyncDisposable
{
    /// <summary>
    /// Subscribes to the objects of <paramref name="kind"/> that belong to <paramref name="cluster"/>.
    /// Completes once the kind's cache is synced (first list done): the current objects of that cluster are
    /// replayed to <paramref name="onEvent"/> as Added with <see cref="ResourceEvent.IsReplay"/> before any
    /// live event, and are also in <see cref="WatchSubscription.Snapshot"/>. Events for one kind arrive in
    /// order on one thread; keep <paramref name="onEvent"/> fast and non-throwing (e.g. <c>Tell</c> to an actor).
    /// Dispose the subscription to stop receiving. Throws <see cref="Retries.KubernetesApiException"/> when the kind
    /// cannot be listed at all (e.g. 404: its CRD is not installed; 403: not allowed); transient failures are
    /// retried until <paramref name="cancellationToken"/> fires.
    /// </summary>
    Task<WatchSubscription> SubscribeAsync(ResourceKind kind, ClusterKey cluster, Action<ResourceEvent> onEvent, CancellationToken cancellationToken);

    /// <summary>The cached objects of <paramref name="kind"/> for <paramref name="cluster"/>, if that kind is being watched and synced; else null.</summary>
    IReadOnlyList<JsonObject>? Cached(ResourceKind kind, ClusterKey cluster);

    /// <summary>Kinds with a running shared watch (for diagnostics and tests).</summary>
    IReadOnlyCollection<ResourceKind> WatchedKinds { get; }
}

/// <summary>
/// A live subscription: <see cref="Snapshot"/> holds the cluster's objects at subscription time (the same as
/// the replayed Added events). Dispose to unsubscribe; the shared watch keeps running for other subscribers.
/// </summary>
public sealed class WatchSubscription : IDisposable
{
    private Action? _unsubscribe;

    /// <summary>Creates a subscription handle (used by the watch implementations).</summary>
    public WatchSubscription(IReadOnlyList<JsonObject> snapshot, Action unsubscribe)
    {
        Snapshot = snapshot;
        _unsubscribe = unsubscribe;
    }

    /// <summary>The cluster's objects at subscription time (read-only copies from the cache).</summary>
    public IReadOnlyList<JsonObject> Snapshot { get; }

    /// <inheritdoc />
    public void Dispose() => Interlocked.Exchange(ref _unsubscribe, null)?.Invoke();
}
