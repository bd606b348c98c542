using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using CapiUpgrade.Core.Capi;
using CapiUpgrade.Kubernetes.Etcd;
using CapiUpgrade.Kubernetes.Management;
using CapiUpgrade.Kubernetes.Tests.Support;
using CapiUpgrade.Kubernetes.Watching;
using CapiUpgrade.Kubernetes.Workload;
using CapiUpgrade.Simulator.ApiServer;
using CapiUpgrade.Simulator.Etcd;
using ApiPki = CapiUpgrade.Simulator.ApiServer.Tls.Pki;

namespace CapiUpgrade.Kubernetes.Tests.Workload;

/// <summary>
/// Workload access as in production: the management cluster holds <c>c1-kubeconfig</c> (TLS, client certificate)
/// and <c>c1-etcd</c>; the workload API server requires client certificates from the cluster CA.
/// </summary>
public sealed class WorkloadClusterTests : IAsyncLifetime
{
    private const string Ns = "default";
    private static readonly ClusterKey C1 = new(Ns, "c1");
    private KubeApiServer _management = null!;
    private KubeApiServer _workload = null!;
    private ManagementClusterAccess _access = null!;

    public async Task InitializeAsync()
    {
        _management = await KubeApiServer.StartAsync();
        var ca = ApiPki.CreateCertificateAuthority("c1-ca", rsa: false);
        _workload = await KubeApiServer.StartAsync(new KubeApiServerOptions
        {
            Name = "c1",
            ServerCertificate = ApiPki.IssueServerCertificate(ca),
            ServerCaPem = ApiPki.CertificatePem(ca),
            ClientCertificateAuthority = ca,
        });
        _access = ManagementClusterAccess.FromConfiguration(new k8s.KubernetesClientConfiguration { Host = _management.Url }, options: new KubernetesAccessOptions
        {
            Watch = new WatchOptions { ReconnectDelay = TimeSpan.FromMilliseconds(10), WorkloadWatchLinger = TimeSpan.FromMilliseconds(300) },
            Etcd = new CapiUpgrade.Kubernetes.Retries.RetryOptions { MaxAttempts = 4, InitialDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(200) },
        });
        await _access.Api.CreateOrGetAsync(ResourceKind.Secret, CapiObjects.Secret(Ns, "c1-kubeconfig", new Dictionary<string, string> { ["value"] = _workload.Kubeconfig() }), CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _access.DisposeAsync();
        await _workload.DisposeAsync();
        await _management.DisposeAsync();
    }

    private JsonObject Node(string name, bool ready, string version = "v1.29.4") => new()
    {
        ["apiVersion"] = "v1", ["kind"] = "Node",
        ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { [CapiConventions.NodeControlPlaneRoleLabel] = "" } },
        ["spec"] = new JsonObject { ["providerID"] = $"docker:////{name}" },
        ["status"] = new JsonObject
        {
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready ? "True" : "False" }),
            ["nodeInfo"] = new JsonObject { ["kubeletVersion"] = version },
        },
    };

    private static JsonObject StaticPod(string component, string node, bool ready, string? clientUrl = null)
    {
        var annotations = new JsonObject();
        if (clientUrl is not null)
            annotations[CapiConventions.EtcdAdvertiseClientUrlsAnnotation] = clientUrl;
        return new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "Pod",
            ["metadata"] = new JsonObject
            {
                ["name"] = $"{component}-{node}", ["namespace"] = "kube-system",
                ["labels"] = new JsonObject { ["component"] = component, ["tier"] = "control-plane" },
                ["annotations"] = annotations,
            },
            ["spec"] = new JsonObject { ["nodeName"] = node, ["containers"] = new JsonArray(new JsonObject { ["name"] = component, ["image"] = component }) },
            ["status"] = new JsonObject { ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready ? "True" : "False" }) },
        };
    }

    private void Put(string kind, string? ns, JsonObject obj)
    {
        var type = _workload.Registry.FindByKind("v1", kind)!;
        _workload.Store.Create(type, ns, obj, keepStatus: true);
    }

    private void SetReady(string kind, string? ns, string name, bool ready)
    {
        var type = _workload.Registry.FindByKind("v1", kind)!;
        _workload.Store.Patch(type, ns, name, o =>
        {
            o["status"]!["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready ? "True" : "False" });
            return o;
        }, statusOnly: true);
    }

    [Fact]
    public async Task Nodes_and_static_pods_are_read_over_TLS_with_the_kubeconfig_client_certificate()
    {
        Put("Node", null, Node("cp-1", ready: true));
        Put("Node", null, Node("cp-2", ready: false));
        foreach (var component in WorkloadParsing.ControlPlaneComponents)
            Put("Pod", "kube-system", StaticPod(component, "cp-1", ready: true, component == "etcd" ? "https://127.0.0.1:32379" : null));

        var workload = await _access.Workloads.GetAsync(C1, CancellationToken.None);
        Assert.StartsWith("https://", _workload.Url);
        var nodes = await workload.ListNodesAsync(CancellationToken.None);
        Assert.Equal(2, nodes.Count);
        Assert.True(WorkloadParsing.FindByProviderId(nodes, "docker:////cp-1")!.Ready);
        Assert.Equal("v1.29.4", (await workload.GetNodeAsync("cp-2", CancellationToken.None))!.KubeletVersion);
        Assert.Null(await workload.GetNodeAsync("absent", CancellationToken.None));

        var pods = await workload.ListKubeSystemPodsAsync("tier=control-plane", CancellationToken.None);
        Assert.Empty(WorkloadParsing.MissingReadyStaticPods(pods, "cp-1"));
        var urls = await workload.GetEtcdClientUrlsAsync(CancellationToken.None);
        Assert.Equal(["https://127.0.0.1:32379"], urls["cp-1"]);

        // The client is cached: the kubeconfig secret is read once.
        await _access.Workloads.GetAsync(C1, CancellationToken.None);
        Assert.Equal(1, _management.Requests.Count("get", "secrets"));
    }

    [Fact]
    public async Task A_missing_kubeconfig_secret_is_reported_naming_it()
    {
        var e = await Assert.ThrowsAsync<WorkloadAccessException>(() => _access.Workloads.GetAsync(new ClusterKey(Ns, "c9"), CancellationToken.None));
        Assert.Contains("default/c9-kubeconfig", e.Message);
    }

    [Fact]
    public async Task ConfigMaps_are_edited_with_retry_on_conflict_and_created_once()
    {
        Put("ConfigMap", "kube-system", new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "kubeadm-config", ["namespace"] = "kube-system" },
            ["data"] = new JsonObject { ["ClusterConfiguration"] = "kubernetesVersion: v1.29.4\n" },
        });
        var workload = await _access.Workloads.GetAsync(C1, CancellationToken.None);
        var configMaps = _workload.Registry.FindByKind("v1", "ConfigMap")!;
        var calls = 0;
        var updated = await workload.UpdateConfigMapAsync("kube-system", "kubeadm-config", data =>
        {
            if (++calls == 1)
                _workload.Store.Patch(configMaps, "kube-system", "kubeadm-config", o => { o["data"]!["other"] = "edit"; return o; });
            return new Dictionary<string, string>(data) { ["ClusterConfiguration"] = "kubernetesVersion: v1.30.2\n" };
        }, CancellationToken.None);
        Assert.Equal(2, calls);
        Assert.Equal("kubernetesVersion: v1.30.2\n", updated!.Data["ClusterConfiguration"]);
        Assert.Equal("edit", updated.Data["other"]);
        Assert.Null(await workload.UpdateConfigMapAsync("kube-system", "absent", d => d, CancellationToken.None));

        var (kubelet, created) = await workload.CreateOrGetConfigMapAsync("kube-system", "kubelet-config", new Dictionary<string, string> { ["kubelet"] = "a" }, CancellationToken.None);
        Assert.True(created);
        var (again, createdAgain) = await workload.CreateOrGetConfigMapAsync("kube-system", "kubelet-config", new Dictionary<string, string> { ["kubelet"] = "b" }, CancellationToken.None);
        Assert.False(createdAgain);
        Assert.Equal("a", again.Data["kubelet"]);
        Assert.Equal(kubelet.ResourceVersion, again.ResourceVersion);
    }

    [Fact]
    public async Task RBAC_objects_are_created_once()
    {
        // kubeadm names these "kubeadm:kubelet-config" / "kubeadm:get-nodes" (RBAC names are path segments, ':' is
        // valid on a real API server); the simulated server validates them as DNS subdomains for now, so dashes here.
        var workload = await _access.Workloads.GetAsync(C1, CancellationToken.None);
        var rules = new[] { new RbacRule([""], ["configmaps"], ["get"], ["kubelet-config"]) };
        var subjects = new[] { new RbacSubject("Group", "system:nodes"), new RbacSubject("Group", "system:bootstrappers:kubeadm:default-node-token") };
        Assert.True(await workload.EnsureRoleAsync("kube-system", "kubeadm-kubelet-config", rules, CancellationToken.None));
        Assert.False(await workload.EnsureRoleAsync("kube-system", "kubeadm-kubelet-config", rules, CancellationToken.None));
        Assert.True(await workload.EnsureRoleBindingAsync("kube-system", "kubeadm-kubelet-config", "kubeadm-kubelet-config", subjects, CancellationToken.None));
        Assert.False(await workload.EnsureRoleBindingAsync("kube-system", "kubeadm-kubelet-config", "kubeadm-kubelet-config", subjects, CancellationToken.None));
        Assert.True(await workload.EnsureClusterRoleAsync("kubeadm-get-nodes", [new RbacRule([""], ["nodes"], ["get"])], CancellationToken.None));
        Assert.True(await workload.EnsureClusterRoleBindingAsync("kubeadm-get-nodes", "kubeadm-get-nodes", subjects, CancellationToken.None));
        Assert.False(await workload.EnsureClusterRoleBindingAsync("kubeadm-get-nodes", "kubeadm-get-nodes", subjects, CancellationToken.None));

        var binding = _workload.Store.TryGet(_workload.Registry.Find("rbac.authorization.k8s.io", "v1", "rolebindings")!, "kube-system", "kubeadm-kubelet-config");
        Assert.Equal("system:nodes", binding!["subjects"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("Role", binding["roleRef"]!["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task Node_and_pod_watches_run_only_while_someone_subscribes()
    {
        Put("Node", null, Node("cp-1", ready: true));
        var events = new ConcurrentQueue<WorkloadEvent>();
        var first = await _access.Workloads.WatchAsync(C1, events.Enqueue, CancellationToken.None);
        var second = await _access.Workloads.WatchAsync(C1, _ => { }, CancellationToken.None);
        Assert.Equal(["cp-1"], first.Nodes.Select(n => n.Name));
        Assert.Contains(events, e => e.IsReplay && e.Node?.Name == "cp-1");
        await Eventually.AwaitAsync(() => _workload.Requests.Count("watch", "nodes") >= 1 && _workload.Requests.Count("watch", "pods") >= 1, "Node and Pod watches open");
        Assert.Equal(1, _workload.Requests.Count("watch", "nodes"));
        Assert.Equal(1, _workload.Requests.Count("watch", "pods"));

        Put("Node", null, Node("cp-2", ready: false));
        Put("Pod", "kube-system", StaticPod("etcd", "cp-2", ready: false));
        SetReady("Node", null, "cp-2", true);
        SetReady("Pod", "kube-system", "etcd-cp-2", true);
        await Eventually.AwaitAsync(() => events.Any(e => e.Node is { Name: "cp-2", Ready: true } && e.Type == ResourceEventType.Modified)
            && events.Any(e => e.Pod is { Name: "etcd-cp-2", Ready: true }), "cp-2 and its etcd pod turn Ready");

        Assert.Equal(["cp-1", "cp-2"], _access.Workloads.CachedNodes(C1)!.Select(n => n.Name).Order());
        Assert.Contains(_access.Workloads.CachedPods(C1)!, p => p is { Name: "etcd-cp-2", Ready: true });
        Assert.Null(_access.Workloads.CachedNodes(new ClusterKey(Ns, "c9")));
        first.Dispose();
        Assert.True(IsWatching());
        second.Dispose();
        // The next wait of the same upgrade, right after, reuses the running watches (no new list/watch).
        var third = await _access.Workloads.WatchAsync(C1, _ => { }, CancellationToken.None);
        Assert.Contains(third.Nodes, n => n.Name == "cp-2");
        Assert.Equal(1, _workload.Requests.Count("list", "nodes"));
        Assert.Equal(1, _workload.Requests.Count("watch", "nodes"));
        third.Dispose();
        await Eventually.AwaitAsync(() => !IsWatching(), "watches stopped after the last subscriber left");
        Assert.Null(_access.Workloads.CachedNodes(C1));
        await Eventually.AwaitAsync(() => _workload.Store.WatcherCount == 0, "the server has no open watch");
    }

    private bool IsWatching() => ((WorkloadClusters)_access.Workloads).IsWatching(C1);

    [Fact]
    public async Task Etcd_is_reached_from_the_CA_secret_and_the_static_pods_annotations()
    {
        await using var etcdServer = new SimulatedEtcdServer();
        await using var etcd = await StartEtcdAsync(etcdServer);

        var adapter = await _access.Etcd.ConnectAsync(C1, CancellationToken.None);
        var report = await adapter.CheckHealthAsync(CancellationToken.None);
        Assert.True(report.AllHealthy, report.Describe());
        Assert.Equal(["cp-0", "cp-1", "cp-2"], report.Members.Select(m => m.Member.Name).Order());
        Assert.Same(adapter, await _access.Etcd.ConnectAsync(C1, CancellationToken.None));

        var e = await Assert.ThrowsAsync<EtcdOperationException>(() => _access.Etcd.ConnectAsync(new ClusterKey(Ns, "c9"), CancellationToken.None));
        Assert.Contains("default/c9-etcd", e.Message);
        _access.Etcd.Forget(C1);
    }

    [Fact]
    public async Task An_etcd_connection_whose_members_were_all_replaced_finds_them_again_from_the_static_pods()
    {
        await using var etcdServer = new SimulatedEtcdServer();
        await using var etcd = await StartEtcdAsync(etcdServer);
        var pods = _workload.Registry.FindByKind("v1", "Pod")!;
        var adapter = await _access.Etcd.ConnectAsync(C1, CancellationToken.None);
        Assert.Equal(3, (await adapter.ListMembersAsync(CancellationToken.None)).Count);

        // Behind the adapter's back, every member is replaced (as an upgrade run elsewhere would do).
        foreach (var name in new[] { "cp-3", "cp-4", "cp-5" })
        {
            await etcd.JoinAsync(name);
            Put("Pod", "kube-system", StaticPod("etcd", name, ready: true, etcd.ClientUrlOf(name)));
        }
        using (var client = etcd.Connect(etcd.ClientUrlOf("cp-3")!))
        {
            var list = await client.MemberListAsync(new Etcdserverpb.MemberListRequest());
            foreach (var old in list.Members.Where(m => m.Name is "cp-0" or "cp-1" or "cp-2"))
                await client.MemberRemoveAsync(new Etcdserverpb.MemberRemoveRequest { ID = old.ID });
        }
        foreach (var name in new[] { "cp-0", "cp-1", "cp-2" })
        {
            await etcd.StopMemberAsync(name);
            _workload.Store.Delete(pods, "kube-system", $"etcd-{name}");
        }

        var members = await adapter.ListMembersAsync(CancellationToken.None);
        Assert.Equal(["cp-3", "cp-4", "cp-5"], members.Select(m => m.Name).Order());
        Assert.All(adapter.Endpoints, url => Assert.Contains(url, new[] { "cp-3", "cp-4", "cp-5" }.Select(n => etcd.ClientUrlOf(n))));
        _access.Etcd.Forget(C1);
    }

    /// <summary>A 3-member simulated etcd for c1: its static pods on the workload API server, its CA secret on the management one.</summary>
    private async Task<SimulatedEtcdCluster> StartEtcdAsync(SimulatedEtcdServer server)
    {
        var etcdCa = Simulator.Pki.CertificateAuthority.Create("c1-etcd", TestKeys.Pool);
        var etcd = new SimulatedEtcdCluster("default/c1", etcdCa, server);
        await etcd.BootstrapAsync(["cp-0", "cp-1", "cp-2"]);
        foreach (var member in etcd.Processes)
            Put("Pod", "kube-system", StaticPod("etcd", member.Name, ready: true, member.ClientUrl));
        await _access.Api.CreateOrGetAsync(ResourceKind.Secret, CapiObjects.Secret(Ns, "c1-etcd",
            new Dictionary<string, string> { ["tls.crt"] = etcdCa.CertificatePem, ["tls.key"] = etcdCa.KeyPem }), CancellationToken.None);
        return etcd;
    }

    /// <summary>The same management cluster, with workload clusters forgotten after <paramref name="expiry"/> unused.</summary>
    private ManagementClusterAccess AccessExpiringAfter(TimeSpan expiry) =>
        ManagementClusterAccess.FromConfiguration(new k8s.KubernetesClientConfiguration { Host = _management.Url }, options: new KubernetesAccessOptions
        {
            IdleClusterExpiry = expiry,
            Watch = new WatchOptions { ReconnectDelay = TimeSpan.FromMilliseconds(10), WorkloadWatchLinger = TimeSpan.FromMilliseconds(100) },
        });

    [Fact]
    public async Task An_etcd_connection_unused_for_the_expiry_is_closed_and_the_next_use_opens_another()
    {
        await using var etcdServer = new SimulatedEtcdServer();
        await using var etcd = await StartEtcdAsync(etcdServer);
        var expiry = TimeSpan.FromMilliseconds(300);
        await using var access = AccessExpiringAfter(expiry);

        var adapter = (CapiUpgrade.Kubernetes.Etcd.EtcdCluster)await access.Etcd.ConnectAsync(C1, CancellationToken.None);
        Assert.True((await adapter.CheckHealthAsync(CancellationToken.None)).AllHealthy);
        Assert.Equal(3, adapter.OpenClients);
        // Used more often than the expiry, for several expiries: it stays open and shared.
        var usedUntil = DateTime.UtcNow + 4 * expiry;
        while (DateTime.UtcNow < usedUntil)
        {
            Assert.Equal(3, (await adapter.ListMembersAsync(CancellationToken.None)).Count);
            await Task.Delay(expiry / 6);
        }
        Assert.Same(adapter, await access.Etcd.ConnectAsync(C1, CancellationToken.None));
        Assert.True(adapter.OpenClients > 0);

        await Eventually.AwaitAsync(() => adapter.OpenClients == 0, "the idle connection closed");
        var next = await access.Etcd.ConnectAsync(C1, CancellationToken.None);
        Assert.NotSame(adapter, next);
        Assert.True((await next.CheckHealthAsync(CancellationToken.None)).AllHealthy);
        // A caller still holding the closed one is not broken: its next call opens the member connection again.
        Assert.Equal(3, (await adapter.ListMembersAsync(CancellationToken.None)).Count);
    }

    [Fact]
    public async Task A_workload_client_nobody_asks_for_is_forgotten_once_its_watches_stop()
    {
        var expiry = TimeSpan.FromMilliseconds(200);
        await using var access = AccessExpiringAfter(expiry);
        var workloads = (WorkloadClusters)access.Workloads;
        var client = await access.Workloads.GetAsync(C1, CancellationToken.None);
        var watch = await access.Workloads.WatchAsync(C1, _ => { }, CancellationToken.None);

        // Nobody asks for the client for several expiries, but its cluster's watches run: it is kept.
        var idleSince = DateTime.UtcNow;
        while (DateTime.UtcNow - idleSince < 3 * expiry)
        {
            Assert.Equal(0, await workloads.ForgetIdleAsync());
            await Task.Delay(expiry / 2);
        }
        Assert.True(workloads.IsCached(C1));

        watch.Dispose();
        await Eventually.AwaitAsync(() => !workloads.IsWatching(C1) && !workloads.IsCached(C1), "the idle client forgotten after its watches stopped");
        var next = await access.Workloads.GetAsync(C1, CancellationToken.None);
        Assert.NotSame(client, next);
        Assert.Null(await next.GetConfigMapAsync("kube-system", "absent", CancellationToken.None)); // reached the server: 404
    }
}
