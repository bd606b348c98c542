using System.Collections.Concurrent;
using CapiUpgrade.Kubernetes.Management;
using CapiUpgrade.Kubernetes.Tests.Support;
using CapiUpgrade.Kubernetes.Watching;
using CapiUpgrade.Simulator.ApiServer;

namespace CapiUpgrade.Kubernetes.Tests.Watching;

/// <summary>Shared watches against the simulated API server: one watch per kind, fan-out by cluster, resume, 410 re-list.</summary>
public sealed class SharedWatchesTests : IAsyncLifetime
{
    private const string Ns = "default";
    private const string Machines = "machines.cluster.x-k8s.io";
    private static readonly ClusterKey C1 = new(Ns, "c1");
    private static readonly ClusterKey C2 = new(Ns, "c2");
    private KubeApiServer _server = null!;
    private ManagementClusterAccess _access = null!;

    public async Task InitializeAsync()
    {
        _server = await KubeApiServer.StartAsync(new KubeApiServerOptions { WatchHistorySize = 5 });
        _access = ManagementClusterAccess.FromConfiguration(new k8s.KubernetesClientConfiguration { Host = _server.Url }, options: new KubernetesAccessOptions
        {
            Watch = new WatchOptions { ReconnectDelay = TimeSpan.FromMilliseconds(10), MaxReconnectDelay = TimeSpan.FromMilliseconds(200) },
        });
    }

    public async Task DisposeAsync()
    {
        await _access.DisposeAsync();
        await _server.DisposeAsync();
    }

    private sealed class Recorder
    {
        public ConcurrentQueue<ResourceEvent> Events { get; } = new();
        public void On(ResourceEvent e) => Events.Enqueue(e);
        public bool Saw(ResourceEventType type, string name, Func<ResourceEvent, bool>? also = null) =>
            Events.Any(e => e.Type == type && e.Name == name && !e.IsReplay && (also is null || also(e)));
    }

    [Fact]
    public async Task One_watch_per_kind_serves_every_subscriber_with_its_own_clusters_objects()
    {
        await _access.Api.CreateOrGetAsync(ResourceKind.Machine, CapiObjects.Machine(Ns, "c1", "c1-a"), CancellationToken.None);
        var c1 = new Recorder();
        var c1Again = new Recorder();
        var c2 = new Recorder();
        using var s1 = await _access.Watches.SubscribeAsync(ResourceKind.Machine, C1, c1.On, CancellationToken.None);
        using var s1b = await _access.Watches.SubscribeAsync(ResourceKind.Machine, C1, c1Again.On, CancellationToken.None);
        using var s2 = await _access.Watches.SubscribeAsync(ResourceKind.Machine, C2, c2.On, CancellationToken.None);

        // The existing object is replayed to the new subscribers of its cluster, and is in the snapshot.
        Assert.Equal(["c1-a"], s1.Snapshot.Select(CapiObjects.Name));
        Assert.Contains(c1.Events, e => e.IsReplay && e.Name == "c1-a" && e.Type == ResourceEventType.Added);
        Assert.Empty(s2.Snapshot);

        await _access.Api.CreateOrGetAsync(ResourceKind.Machine, CapiObjects.Machine(Ns, "c1", "c1-b"), CancellationToken.None);
        await _access.Api.CreateOrGetAsync(ResourceKind.Machine, CapiObjects.Machine(Ns, "c2", "c2-a"), CancellationToken.None);
        await _access.Api.MergePatchAsync(ResourceKind.Machine, Ns, "c1-a", new() { ["spec"] = new System.Text.Json.Nodes.JsonObject { ["version"] = "v1.30.2" } }, CancellationToken.None);
        await _access.Api.DeleteAsync(ResourceKind.Machine, Ns, "c1-b", CancellationToken.None);

        await Eventually.AwaitAsync(() => c1.Saw(ResourceEventType.Deleted, "c1-b") && c2.Saw(ResourceEventType.Added, "c2-a") && c1Again.Saw(ResourceEventType.Deleted, "c1-b"), "events fanned out");
        Assert.True(c1.Saw(ResourceEventType.Added, "c1-b"));
        Assert.True(c1.Saw(ResourceEventType.Modified, "c1-a", e => e.Object["spec"]!["version"]!.GetValue<string>() == "v1.30.2"));
        Assert.All(c1.Events, e => Assert.Equal(C1, e.Cluster));
        Assert.All(c2.Events, e => Assert.Equal(C2, e.Cluster));
        Assert.DoesNotContain(c2.Events, e => e.Name.StartsWith("c1-"));

        Assert.Equal(1, _server.Requests.Count("list", Machines));
        Assert.Equal(1, _server.Requests.Count("watch", Machines));
        Assert.Equal(["c1-a"], _access.Watches.Cached(ResourceKind.Machine, C1)!.Select(CapiObjects.Name));
        Assert.Equal([ResourceKind.Machine], _access.Watches.WatchedKinds);
    }

    [Fact]
    public async Task An_unsubscribed_subscriber_gets_nothing_more_and_the_watch_keeps_serving_others()
    {
        var gone = new Recorder();
        var stays = new Recorder();
        var s1 = await _access.Watches.SubscribeAsync(ResourceKind.Machine, C1, gone.On, CancellationToken.None);
        using var s2 = await _access.Watches.SubscribeAsync(ResourceKind.Machine, C1, stays.On, CancellationToken.None);
        s1.Dispose();
        await _access.Api.CreateOrGetAsync(ResourceKind.Machine, CapiObjects.Machine(Ns, "c1", "c1-a"), CancellationToken.None);
        await Eventually.AwaitAsync(() => stays.Saw(ResourceEventType.Added, "c1-a"), "the remaining subscriber sees the new Machine");
        Assert.Empty(gone.Events);
    }

    [Fact]
    public async Task A_cut_watch_resumes_from_its_resourceVersion_without_relisting()
    {
        var c1 = new Recorder();
        using var s = await _access.Watches.SubscribeAsync(ResourceKind.Machine, C1, c1.On, CancellationToken.None);
        await _access.Api.CreateOrGetAsync(ResourceKind.Machine, CapiObjects.Machine(Ns, "c1", "c1-a"), CancellationToken.None);
        await Eventually.AwaitAsync(() => c1.Saw(ResourceEventType.Added, "c1-a"), "first event");

        Assert.True(_server.Faults.CutWatches() >= 1);
        await _access.Api.CreateOrGetAsync(ResourceKind.Machine, CapiObjects.Machine(Ns, "c1", "c1-b"), CancellationToken.None);
        await Eventually.AwaitAsync(() => c1.Saw(ResourceEventType.Added, "c1-b"), "event after the cut");

        Assert.Equal(1, _server.Requests.Count("list", Machines));
        Assert.True(_server.Requests.Count("watch", Machines) >= 2);
        Assert.Single(c1.Events, e => e.Name == "c1-a"); // nothing replayed twice
    }

    [Fact]
    public async Task After_410_Gone_the_cache_is_relisted_and_missed_changes_are_delivered()
    {
        var c1 = new Recorder();
        await _access.Api.CreateOrGetAsync(ResourceKind.Machine, CapiObjects.Machine(Ns, "c1", "c1-old"), CancellationToken.None);
        using var s = await _access.Watches.SubscribeAsync(ResourceKind.Machine, C1, c1.On, CancellationToken.None);
        await _access.Api.CreateOrGetAsync(ResourceKind.Machine, CapiObjects.Machine(Ns, "c1", "c1-a"), CancellationToken.None);
        await Eventually.AwaitAsync(() => c1.Saw(ResourceEventType.Added, "c1-a"), "first event");

        // While the watch is down, history moves past its resourceVersion: the resumed watch gets 410.
        var configMaps = _server.Registry.FindByKind("v1", "ConfigMap")!;
        await _access.Api.DeleteAsync(ResourceKind.Machine, Ns, "c1-old", CancellationToken.None);
        _server.Faults.Add(new FaultRule { Verb = "watch", Resource = "machines", ErrorCode = 503, RetryAfterSeconds = 0 });
        _server.Faults.CutWatches();
        await _access.Api.CreateOrGetAsync(ResourceKind.Machine, CapiObjects.Machine(Ns, "c1", "c1-b"), CancellationToken.None);
        for (var i = 0; i < 10; i++)
            _server.Store.Create(configMaps, Ns, new System.Text.Json.Nodes.JsonObject { ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["name"] = $"filler-{i}" } });
        _server.Store.CompactHistory();
        _server.Faults.Clear();

        await Eventually.AwaitAsync(() => c1.Saw(ResourceEventType.Added, "c1-b") && c1.Saw(ResourceEventType.Deleted, "c1-old"), "changes missed while the watch was gone");
        Assert.Equal(2, _server.Requests.Count("list", Machines));
        Assert.Equal(["c1-a", "c1-b"], _access.Watches.Cached(ResourceKind.Machine, C1)!.Select(CapiObjects.Name).Order());
    }

    [Fact]
    public async Task Clusters_are_watched_as_themselves_and_kinds_from_references_share_one_watch()
    {
        var clusters = new Recorder();
        using var s = await _access.Watches.SubscribeAsync(ResourceKind.Cluster, C1, clusters.On, CancellationToken.None);
        await _access.Api.CreateOrGetAsync(ResourceKind.Cluster, CapiObjects.Cluster(Ns, "c1"), CancellationToken.None);
        await _access.Api.CreateOrGetAsync(ResourceKind.Cluster, CapiObjects.Cluster(Ns, "c2"), CancellationToken.None);
        await Eventually.AwaitAsync(() => clusters.Saw(ResourceEventType.Added, "c1"), "Cluster c1 seen");
        Assert.DoesNotContain(clusters.Events, e => e.Name == "c2");

        var fromRef = ResourceKind.FromApiVersionAndKind("infrastructure.cluster.x-k8s.io/v1beta1", "DockerMachine");
        using var a = await _access.Watches.SubscribeAsync(fromRef, C1, _ => { }, CancellationToken.None);
        using var b = await _access.Watches.SubscribeAsync(ResourceKind.DockerMachine, C2, _ => { }, CancellationToken.None);
        await Eventually.AwaitAsync(() => _server.Requests.Count("watch", "dockermachines.infrastructure.cluster.x-k8s.io") >= 1, "the DockerMachine watch is open");
        Assert.Equal(1, _server.Requests.Count("list", "dockermachines.infrastructure.cluster.x-k8s.io"));
        Assert.Equal(1, _server.Requests.Count("watch", "dockermachines.infrastructure.cluster.x-k8s.io"));
    }

    [Fact]
    public async Task A_kind_that_cannot_be_listed_fails_the_subscription_instead_of_hanging()
    {
        var notInstalled = ResourceKind.FromApiVersionAndKind("infrastructure.cluster.x-k8s.io/v1beta1", "AWSMachine");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var e = await Assert.ThrowsAsync<CapiUpgrade.Kubernetes.Retries.KubernetesApiException>(() => _access.Watches.SubscribeAsync(notInstalled, C1, _ => { }, timeout.Token));
        Assert.True(e.IsNotFound);
        Assert.Contains("AWSMachine", e.Message);
        Assert.False(timeout.IsCancellationRequested);
    }
}
