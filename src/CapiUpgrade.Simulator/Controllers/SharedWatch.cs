using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;

namespace CapiUpgrade.Simulator.Controllers;

/// <summary>One watch event as handed to subscribers (ADDED, MODIFIED, DELETED; SYNC for the initial list).</summary>
public sealed record WatchedChange(string Type, string Key, JsonObject Object);

/// <summary>
/// A shared informer for one kind across all namespaces of an API server: list, then watch from the
/// list's resourceVersion; resumes after a dropped stream from the last resourceVersion seen and re-lists
/// on 410 Gone. Keeps a cache by `namespace/name` and fans every change out to its subscribers —
/// one watch per kind for the whole fleet, never one per cluster.
/// </summary>
public sealed class SharedWatch : IAsyncDisposable
{
    private readonly KubeHttpClient _client;
    private readonly string _path;
    private readonly ConcurrentDictionary<string, JsonObject> _cache = new(StringComparer.Ordinal);
    private readonly List<Func<WatchedChange, Task>> _subscribers = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;

    public SharedWatch(KubeHttpClient client, string collectionPath)
    {
        _client = client;
        _path = collectionPath;
    }

    public string Path => _path;

    /// <summary>The objects last seen, by `namespace/name`.</summary>
    public IReadOnlyDictionary<string, JsonObject> Cache => _cache;

    public Task Synced => _synced.Task;

    /// <summary>Adds a subscriber (before <see cref="Start"/>); it is awaited for each change, in order.</summary>
    public void Subscribe(Func<WatchedChange, Task> subscriber)
    {
        lock (_subscribers) _subscribers.Add(subscriber);
    }

    public void Start() => _loop ??= Task.Run(() => RunAsync(_stop.Token));

    public static string KeyOf(JsonObject obj)
    {
        var metadata = obj["metadata"]!;
        var ns = metadata["namespace"]?.GetValue<string>();
        var name = metadata["name"]!.GetValue<string>();
        return ns is null ? name : ns + "/" + name;
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        string? resourceVersion = null;
        var backoff = TimeSpan.FromMilliseconds(100);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (resourceVersion is null)
                {
                    var list = await _client.ListWithVersionAsync(_path, cancellationToken);
                    resourceVersion = list["metadata"]?["resourceVersion"]?.GetValue<string>() ?? "0";
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var item in list["items"]!.AsArray().OfType<JsonObject>().ToList())
                    {
                        item.Parent?.AsArray().Remove(item);
                        var key = KeyOf(item);
                        seen.Add(key);
                        _cache[key] = item;
                        await PublishAsync(new WatchedChange("SYNC", key, item));
                    }
                    foreach (var gone in _cache.Keys.Where(k => !seen.Contains(k)).ToList())
                        if (_cache.TryRemove(gone, out var old)) await PublishAsync(new WatchedChange("DELETED", gone, old));
                    _synced.TrySetResult();
                }
                await foreach (var (type, obj) in _client.WatchAsync(_path, resourceVersion, cancellationToken))
                {
                    resourceVersion = obj["metadata"]?["resourceVersion"]?.GetValue<string>() ?? resourceVersion;
                    if (type == "BOOKMARK") continue;
                    var key = KeyOf(obj);
                    if (type == "DELETED") _cache.TryRemove(key, out _);
                    else _cache[key] = obj;
                    await PublishAsync(new WatchedChange(type, key, obj));
                }
                backoff = TimeSpan.FromMilliseconds(100);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (KubeApiError e) when (e.Code == HttpStatusCode.Gone)
            {
                resourceVersion = null;
            }
            catch (Exception)
            {
                try { await Task.Delay(backoff, cancellationToken); } catch (OperationCanceledException) { return; }
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 2000));
            }
        }
    }

    private async Task PublishAsync(WatchedChange change)
    {
        Func<WatchedChange, Task>[] subscribers;
        lock (_subscribers) subscribers = [.. _subscribers];
        foreach (var s in subscribers)
        {
            try { await s(change); }
            catch (Exception) { /* a subscriber's failure must not stop the shared watch */ }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null) { try { await _loop; } catch (OperationCanceledException) { } }
        _stop.Dispose();
    }
}
