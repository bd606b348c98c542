using System.Net;
using System.Text.Json.Nodes;
using CapiUpgrade.Kubernetes.Management;
using CapiUpgrade.Kubernetes.Retries;
using k8s;
using k8s.Autorest;

namespace CapiUpgrade.Kubernetes.Watching;

/// <summary>
/// One list+watch of one resource kind with a local cache, fanned out to subscribers by cluster (client-go's
/// shared informer, reduced to what the engine needs). The loop: LIST (on start and after 410 Gone, diffing
/// the cache so subscribers see Added/Modified/Deleted), then WATCH from the last resourceVersion; a watch
/// that ends or breaks is re-opened from the last resourceVersion (bookmarks keep it fresh), with backoff
/// after failures. Subscriber callbacks run on the loop's thread, in order, under the informer's lock.
/// </summary>
internal sealed class SharedInformer : IAsyncDisposable
{
    internal delegate Task<(IReadOnlyList<JsonObject> Items, string? ResourceVersion)> ListFunc(CancellationToken ct);
    internal delegate IAsyncEnumerable<(WatchEventType Type, JsonObject Object)> WatchFunc(string? resourceVersion, int timeoutSeconds, Action<Exception> onError, CancellationToken ct);

    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _cache = new(StringComparer.Ordinal);
    private readonly Dictionary<ClusterKey, List<Subscriber>> _subscribers = [];
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly ListFunc _list;
    private readonly WatchFunc _watch;
    private readonly Func<JsonObject, ClusterKey?> _clusterOf;
    private readonly WatchOptions _options;
    private Task? _loop;
    private string? _resourceVersion;
    private Exception? _lastError;

    public SharedInformer(ResourceKind kind, string description, ListFunc list, WatchFunc watch, Func<JsonObject, ClusterKey?> clusterOf, WatchOptions options)
    {
        Kind = kind;
        Description = description;
        _list = list;
        _watch = watch;
        _clusterOf = clusterOf;
        _options = options;
    }

    public ResourceKind Kind { get; }

    /// <summary>The first list failed for good; this informer has stopped.</summary>
    public bool IsFailed => _synced.Task.IsFaulted;
    public string Description { get; }

    /// <summary>Lists done (the first and every re-list after 410 Gone).</summary>
    public int Lists { get; private set; }
    /// <summary>Watch requests opened.</summary>
    public int Watches { get; private set; }
    /// <summary>The last resourceVersion seen.</summary>
    public string? ResourceVersion { get { lock (_gate) return _resourceVersion; } }

    public void Start()
    {
        lock (_gate)
            _loop ??= Task.Run(() => RunAsync(_stop.Token));
    }

    public async Task WaitForSyncAsync(CancellationToken ct)
    {
        Start();
        try
        {
            await _synced.Task.WaitAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested && _lastError is { } error)
        {
            throw new OperationCanceledException($"Gave up waiting for the first list of {Description}: {error.Message}", error, ct);
        }
    }

    public async Task<WatchSubscription> SubscribeAsync(ClusterKey cluster, Action<ResourceEvent> onEvent, CancellationToken ct)
    {
        await WaitForSyncAsync(ct);
        var subscriber = new Subscriber(onEvent);
        List<JsonObject> snapshot;
        lock (_gate)
        {
            snapshot = _cache.Values.Where(e => e.Cluster == cluster).Select(e => e.Object).ToList();
            if (!_subscribers.TryGetValue(cluster, out var list))
                _subscribers[cluster] = list = [];
            list.Add(subscriber);
            foreach (var obj in snapshot)
                Deliver(subscriber, new ResourceEvent(ResourceEventType.Added, Kind, cluster, obj, IsReplay: true));
        }
        return new WatchSubscription(snapshot, () =>
        {
            lock (_gate)
            {
                if (_subscribers.TryGetValue(cluster, out var list) && list.Remove(subscriber) && list.Count == 0)
                    _subscribers.Remove(cluster);
            }
        });
    }

    public IReadOnlyList<JsonObject>? Cached(ClusterKey cluster)
    {
        if (!_synced.Task.IsCompletedSuccessfully)
            return null;
        lock (_gate)
            return _cache.Values.Where(e => e.Cluster == cluster).Select(e => e.Object).ToList();
    }

    public IReadOnlyList<JsonObject> CachedAll()
    {
        lock (_gate)
            return _cache.Values.Select(e => e.Object).ToList();
    }

    public int SubscriberCount
    {
        get { lock (_gate) return _subscribers.Values.Sum(l => l.Count); }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var needList = true;
        var delay = _options.ReconnectDelay;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (needList)
                {
                    var (items, rv) = await _list(stop);
                    Replace(items, rv);
                    Lists++;
                    needList = false;
                    _synced.TrySetResult();
                }

                var gone = false;
                using var watchStop = CancellationTokenSource.CreateLinkedTokenSource(stop);
                void OnError(Exception e)
                {
                    if (e is KubernetesException { Status.Code: 410 })
                    {
                        gone = true;
                        watchStop.Cancel();
                    }
                    else
                    {
                        _lastError = e;
                    }
                }

                Watches++;
                var received = false;
                try
                {
                    await foreach (var (type, obj) in _watch(ResourceVersion, (int)_options.WatchTimeout.TotalSeconds, OnError, watchStop.Token))
                    {
                        received = true;
                        Apply(type, obj);
                    }
                }
                catch (OperationCanceledException) when (gone && !stop.IsCancellationRequested)
                {
                }

                if (gone)
                {
                    needList = true;
                    continue;
                }
                // A watch that ended normally (server timeout or closed): resume at once from the last
                // resourceVersion; if it ended without any event, back off a little so a server that closes
                // watches immediately cannot make us spin.
                if (received)
                    delay = _options.ReconnectDelay;
                else
                    await BackoffAsync();
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (IsGone(e))
            {
                needList = true;
            }
            catch (Exception e) when (!_synced.Task.IsCompleted && !ApiFailures.IsTransient(e))
            {
                // The kind cannot be listed at all (CRD not installed, forbidden...): fail the waiting subscribers
                // instead of retrying forever; the owner replaces a failed informer on the next subscription.
                _lastError = e;
                _synced.TrySetException(e);
                return;
            }
            catch (Exception e)
            {
                _lastError = e;
                await BackoffAsync();
            }
        }

        async Task BackoffAsync()
        {
            try
            {
                await Task.Delay(Jitter(delay), stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
        }
    }

    private static TimeSpan Jitter(TimeSpan delay) => TimeSpan.FromTicks((long)(delay.Ticks * (0.5 + Random.Shared.NextDouble() / 2)));

    private static bool IsGone(Exception e) => e switch
    {
        HttpOperationException http => http.Response?.StatusCode == HttpStatusCode.Gone,
        KubernetesException k => k.Status?.Code == 410,
        KubernetesApiException api => api.IsGone,
        _ => false,
    };

    private void Replace(IReadOnlyList<JsonObject> items, string? resourceVersion)
    {
        lock (_gate)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var obj in items)
            {
                var key = KeyOf(obj);
                seen.Add(key);
                if (_cache.TryGetValue(key, out var existing) && ResourceVersionOf(existing.Object) == ResourceVersionOf(obj))
                    continue;
                Upsert(key, obj, existing is null ? ResourceEventType.Added : ResourceEventType.Modified);
            }
            foreach (var key in _cache.Keys.Where(k => !seen.Contains(k)).ToList())
                Remove(key);
            if (resourceVersion is not null)
                _resourceVersion = resourceVersion;
        }
    }

    private void Apply(WatchEventType type, JsonObject obj)
    {
        lock (_gate)
        {
            var rv = ResourceVersionOf(obj);
            if (rv is not null)
                _resourceVersion = rv;
            switch (type)
            {
                case WatchEventType.Added:
                case WatchEventType.Modified:
                    var key = KeyOf(obj);
                    Upsert(key, obj, _cache.ContainsKey(key) ? ResourceEventType.Modified : ResourceEventType.Added);
                    break;
                case WatchEventType.Deleted:
                    var deletedKey = KeyOf(obj);
                    if (_cache.ContainsKey(deletedKey))
                    {
                        _cache[deletedKey] = _cache[deletedKey] with { Object = obj };
                        Remove(deletedKey);
                    }
                    break;
            }
        }
    }

    private void Upsert(string key, JsonObject obj, ResourceEventType type)
    {
        var cluster = _clusterOf(obj);
        if (_cache.TryGetValue(key, out var previous) && previous.Cluster != cluster && previous.Cluster is { } oldCluster)
        {
            Publish(new ResourceEvent(ResourceEventType.Deleted, Kind, oldCluster, previous.Object, false));
            type = ResourceEventType.Added;
        }
        _cache[key] = new Entry(obj, cluster);
        if (cluster is not null)
            Publish(new ResourceEvent(type, Kind, cluster, obj, false));
    }

    private void Remove(string key)
    {
        if (!_cache.Remove(key, out var entry))
            return;
        if (entry.Cluster is { } cluster)
            Publish(new ResourceEvent(ResourceEventType.Deleted, Kind, cluster, entry.Object, false));
    }

    private void Publish(ResourceEvent e)
    {
        if (!_subscribers.TryGetValue(e.Cluster, out var list))
            return;
        foreach (var subscriber in list)
            Deliver(subscriber, e);
    }

    private static void Deliver(Subscriber subscriber, ResourceEvent e)
    {
        try
        {
            subscriber.OnEvent(e);
        }
        catch
        {
            // A subscriber's failure must not stop the shared watch for everyone else.
        }
    }

    private static string KeyOf(JsonObject obj)
    {
        var metadata = obj["metadata"];
        return $"{metadata?["namespace"]?.GetValue<string>()}/{metadata?["name"]?.GetValue<string>()}";
    }

    private static string? ResourceVersionOf(JsonObject obj) => obj["metadata"]?["resourceVersion"]?.GetValue<string>();

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_loop is { } loop)
        {
            try
            {
                await loop;
            }
            catch (OperationCanceledException)
            {
            }
        }
        _synced.TrySetCanceled();
        _stop.Dispose();
    }

    private sealed record Entry(JsonObject Object, ClusterKey? Cluster);

    private sealed class Subscriber(Action<ResourceEvent> onEvent)
    {
        public Action<ResourceEvent> OnEvent { get; } = onEvent;
    }
}
