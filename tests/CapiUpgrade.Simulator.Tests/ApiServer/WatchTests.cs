using System.Text.Json;
using CapiUpgrade.Simulator.ApiServer;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace CapiUpgrade.Simulator.Tests.ApiServer;

/// <summary>Watches through the real KubernetesClient: resume from a resourceVersion, 410 and re-list, selectors.</summary>
public sealed class WatchTests : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private KubeApiServer _server = null!;
    private Kubernetes _client = null!;

    public async Task InitializeAsync()
    {
        _server = await KubeApiServer.StartAsync(new KubeApiServerOptions { BookmarkInterval = TimeSpan.FromMilliseconds(200) });
        _client = new Kubernetes(new KubernetesClientConfiguration { Host = _server.Url });
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    private Task<V1ConfigMap> Create(string name, string app = "a") =>
        _client.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = app } },
            Data = new Dictionary<string, string> { ["v"] = "0" },
        }, "default");

    private Task<V1ConfigMap> Touch(string name, string value) =>
        _client.PatchNamespacedConfigMapAsync(new V1Patch($"{{\"data\":{{\"v\":\"{value}\"}}}}", V1Patch.PatchType.MergePatch), name, "default");

    /// <summary>Reads events until <paramref name="count"/> non-bookmark events arrived, or fails at the deadline.</summary>
    private static async Task<List<(WatchEventType Type, V1ConfigMap Object)>> Take(IAsyncEnumerator<(WatchEventType, V1ConfigMap)> events, int count)
    {
        var result = new List<(WatchEventType, V1ConfigMap)>();
        using var cts = new CancellationTokenSource(Deadline);
        while (result.Count < count)
        {
            var next = events.MoveNextAsync().AsTask();
            var done = await Task.WhenAny(next, Task.Delay(Timeout.Infinite, cts.Token).ContinueWith(_ => false));
            Assert.True(done == next, $"only {result.Count} of {count} watch events arrived within {Deadline}");
            Assert.True(await next, "the watch ended early");
            if (events.Current.Item1 != WatchEventType.Bookmark) result.Add(events.Current);
        }
        return result;
    }

    [Fact]
    public async Task Watch_resumes_from_a_resource_version_without_losing_events()
    {
        await Create("w1");
        var list = await _client.ListNamespacedConfigMapAsync("default");
        var rv = list.Metadata.ResourceVersion;

        using var cts = new CancellationTokenSource(Deadline * 3);
        var first = _client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: rv, allowWatchBookmarks: true, cancellationToken: cts.Token).GetAsyncEnumerator(cts.Token);
        await Create("w2");
        await Touch("w1", "1");
        var seen = await Take(first, 2);
        Assert.Equal((WatchEventType.Added, "w2"), (seen[0].Type, seen[0].Object.Metadata.Name));
        Assert.Equal((WatchEventType.Modified, "w1"), (seen[1].Type, seen[1].Object.Metadata.Name));
        await first.DisposeAsync();

        // changes while nobody watches are delivered on resume, in order
        var last = seen[1].Object.Metadata.ResourceVersion;
        await Touch("w2", "1");
        await _client.DeleteNamespacedConfigMapAsync("w1", "default");
        var resumed = _client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: last, cancellationToken: cts.Token).GetAsyncEnumerator(cts.Token);
        var replay = await Take(resumed, 2);
        Assert.Equal((WatchEventType.Modified, "w2"), (replay[0].Type, replay[0].Object.Metadata.Name));
        Assert.Equal((WatchEventType.Deleted, "w1"), (replay[1].Type, replay[1].Object.Metadata.Name));
        Assert.True(long.Parse(replay[1].Object.Metadata.ResourceVersion) > long.Parse(replay[0].Object.Metadata.ResourceVersion));
        await resumed.DisposeAsync();
    }

    [Fact]
    public async Task Watch_from_a_compacted_resource_version_gets_410_and_recovers_by_listing_again()
    {
        await Create("old");
        var rv = (await _client.ListNamespacedConfigMapAsync("default")).Metadata.ResourceVersion;
        await Touch("old", "1");
        _server.Store.CompactHistory();

        using var cts = new CancellationTokenSource(Deadline);
        Exception? error = null;
        var delivered = 0;
        await foreach (var _ in _client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: rv, onError: e => error = e, cancellationToken: cts.Token))
            delivered++;
        Assert.Equal(0, delivered);
        var status = Assert.IsType<KubernetesException>(error).Status;
        Assert.Equal(410, status.Code);
        Assert.Equal("Expired", status.Reason);

        // recovery: list again, watch from the new resourceVersion
        var relist = await _client.ListNamespacedConfigMapAsync("default");
        Assert.Equal("1", relist.Items.Single(i => i.Metadata.Name == "old").Data["v"]);
        var events = _client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: relist.Metadata.ResourceVersion, cancellationToken: cts.Token).GetAsyncEnumerator(cts.Token);
        await Touch("old", "2");
        var seen = await Take(events, 1);
        Assert.Equal("2", seen[0].Object.Data["v"]);
        await events.DisposeAsync();
    }

    [Fact]
    public async Task Watch_without_resource_version_starts_with_the_current_objects_and_honours_selectors()
    {
        await Create("s1", "x");
        await Create("s2", "y");
        using var cts = new CancellationTokenSource(Deadline * 2);
        var events = _client.CoreV1.WatchListNamespacedConfigMapAsync("default", labelSelector: "app=x", cancellationToken: cts.Token).GetAsyncEnumerator(cts.Token);
        var initial = await Take(events, 1);
        Assert.Equal((WatchEventType.Added, "s1"), (initial[0].Type, initial[0].Object.Metadata.Name));

        // s2 enters the selection: ADDED; s1 leaves it: DELETED
        await _client.PatchNamespacedConfigMapAsync(new V1Patch("{\"metadata\":{\"labels\":{\"app\":\"x\"}}}", V1Patch.PatchType.MergePatch), "s2", "default");
        await _client.PatchNamespacedConfigMapAsync(new V1Patch("{\"metadata\":{\"labels\":{\"app\":\"z\"}}}", V1Patch.PatchType.MergePatch), "s1", "default");
        var changes = await Take(events, 2);
        Assert.Equal((WatchEventType.Added, "s2"), (changes[0].Type, changes[0].Object.Metadata.Name));
        Assert.Equal((WatchEventType.Deleted, "s1"), (changes[1].Type, changes[1].Object.Metadata.Name));
        await events.DisposeAsync();
    }

    [Fact]
    public async Task Idle_watches_with_bookmarks_allowed_receive_bookmarks_with_the_current_version()
    {
        await Create("b1");
        using var cts = new CancellationTokenSource(Deadline);
        var rv = (await _client.ListNamespacedConfigMapAsync("default")).Metadata.ResourceVersion;
        await foreach (var (type, obj) in _client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: rv, allowWatchBookmarks: true, cancellationToken: cts.Token))
        {
            Assert.Equal(WatchEventType.Bookmark, type);
            Assert.Equal(rv, obj.Metadata.ResourceVersion);
            break;
        }
    }

    [Fact]
    public async Task Many_concurrent_watchers_all_see_the_same_event()
    {
        using var cts = new CancellationTokenSource(Deadline * 2);
        var rv = (await _client.ListNamespacedConfigMapAsync("default")).Metadata.ResourceVersion;
        var watchers = Enumerable.Range(0, 40)
            .Select(i => i % 2 == 0
                ? _client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: rv, cancellationToken: cts.Token).GetAsyncEnumerator(cts.Token)
                : _client.CoreV1.WatchListConfigMapForAllNamespacesAsync(resourceVersion: rv, cancellationToken: cts.Token).GetAsyncEnumerator(cts.Token))
            .ToList();
        await Create("broadcast");
        var results = await Task.WhenAll(watchers.Select(w => Take(w, 1)));
        Assert.All(results, r => Assert.Equal("broadcast", r[0].Object.Metadata.Name));
        foreach (var w in watchers) await w.DisposeAsync();
    }

    [Fact]
    public async Task Untyped_custom_object_watch_sees_machine_status_updates()
    {
        var body = JsonSerializer.Deserialize<JsonElement>("""
            {"apiVersion":"cluster.x-k8s.io/v1beta1","kind":"Machine","metadata":{"name":"m1","labels":{"cluster.x-k8s.io/cluster-name":"c1"}},
             "spec":{"clusterName":"c1","version":"v1.29.4","bootstrap":{"dataSecretName":"x"},"infrastructureRef":{"kind":"DockerMachine","name":"m1"}}}
            """);
        await _client.CustomObjects.CreateNamespacedCustomObjectAsync(body, "cluster.x-k8s.io", "v1beta1", "default", "machines");
        var list = await _client.CustomObjects.ListNamespacedCustomObjectAsync<JsonElement>("cluster.x-k8s.io", "v1beta1", "default", "machines", labelSelector: "cluster.x-k8s.io/cluster-name=c1");
        var rv = list.GetProperty("metadata").GetProperty("resourceVersion").GetString();

        using var cts = new CancellationTokenSource(Deadline);
        var events = _client.CustomObjects.WatchListNamespacedCustomObjectAsync("cluster.x-k8s.io", "v1beta1", "default", "machines", resourceVersion: rv, cancellationToken: cts.Token).GetAsyncEnumerator(cts.Token);
        var status = new V1Patch("{\"status\":{\"phase\":\"Running\"}}", V1Patch.PatchType.MergePatch);
        await _client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(status, "cluster.x-k8s.io", "v1beta1", "default", "machines", "m1");
        Assert.True(await events.MoveNextAsync());
        Assert.Equal(WatchEventType.Modified, events.Current.Item1);
        Assert.Equal("Running", ((JsonElement)events.Current.Item2).GetProperty("status").GetProperty("phase").GetString());
        await events.DisposeAsync();
    }

    [Fact]
    public async Task Cutting_watches_ends_open_streams_and_a_resumed_watch_misses_nothing()
    {
        await Create("cut");
        var rv = (await _client.ListNamespacedConfigMapAsync("default")).Metadata.ResourceVersion;
        using var cts = new CancellationTokenSource(Deadline);
        var events = _client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: rv, cancellationToken: cts.Token).GetAsyncEnumerator(cts.Token);
        await Touch("cut", "before-cut");
        Assert.Equal("before-cut", (await Take(events, 1))[0].Object.Data["v"]);
        rv = events.Current.Item2.Metadata.ResourceVersion;
        var ended = events.MoveNextAsync().AsTask();
        Assert.Equal(1, _server.Faults.CutWatches());
        Assert.False(await ended, "the watch stream should end when the server cuts it");
        await events.DisposeAsync();

        await Touch("cut", "after-cut");
        var resumed = _client.CoreV1.WatchListNamespacedConfigMapAsync("default", resourceVersion: rv, cancellationToken: cts.Token).GetAsyncEnumerator(cts.Token);
        var seen = await Take(resumed, 1);
        Assert.Equal("after-cut", seen[0].Object.Data["v"]);
        await resumed.DisposeAsync();
    }

    [Fact]
    public async Task Injected_errors_come_as_status_objects_for_the_chosen_verb_and_resource_only()
    {
        _server.Faults.Add(new FaultRule { Verb = "update", Resource = "configmaps", ErrorCode = 500 });
        try
        {
            var cm = await Create("faulty");
            var e = await Assert.ThrowsAsync<HttpOperationException>(() => _client.ReplaceNamespacedConfigMapAsync(cm, "faulty", "default"));
            Assert.Equal(System.Net.HttpStatusCode.InternalServerError, e.Response.StatusCode);
            Assert.Equal("InternalError", JsonDocument.Parse(e.Response.Content).RootElement.GetProperty("reason").GetString());
            Assert.Equal("0", (await Touch("faulty", "0")).Data["v"]); // patch is not affected
        }
        finally
        {
            _server.Faults.Clear();
        }
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(Deadline);
        while (!condition())
        {
            cts.Token.ThrowIfCancellationRequested();
            await Task.Delay(10, cts.Token);
        }
    }
}
