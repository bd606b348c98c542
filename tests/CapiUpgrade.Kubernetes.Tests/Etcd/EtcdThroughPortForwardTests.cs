using CapiUpgrade.Kubernetes.Api;
using CapiUpgrade.Kubernetes.Etcd;
using CapiUpgrade.Kubernetes.Management;
using CapiUpgrade.Simulator.Fleet;

namespace CapiUpgrade.Kubernetes.Tests.Etcd;

/// <summary>
/// etcd reached through the workload API server (`pods/portforward` over a WebSocket) instead of dialled: the
/// engine's etcd adapter against a simulated fleet, whose workload API servers forward to the etcd static pods'
/// client ports as a kubelet would.
/// </summary>
public sealed class EtcdThroughPortForwardTests : IAsyncLifetime
{
    private SimulatedFleet _fleet = null!;
    private ManagementClusterAccess _access = null!;

    public async Task InitializeAsync()
    {
        _fleet = await SimulatedFleet.StartAsync(new SimulatedFleetOptions
        {
            Clusters = 1, ControlPlaneReplicas = 3, Etcd = FleetEtcd.Simulated, RandomSeed = 3, Keys = Simulator.Pki.RsaKeySource.Shared,
        });
        _access = ManagementClusterAccess.FromKubeconfigText(_fleet.ManagementKubeconfig, options: new KubernetesAccessOptions { EtcdAccess = EtcdAccess.PortForward });
    }

    public async Task DisposeAsync()
    {
        await _access.DisposeAsync();
        await _fleet.DisposeAsync();
    }

    private SimulatedCluster Cluster => _fleet.Clusters[0];

    private ClusterKey Key => new(Cluster.Namespace, Cluster.Name);

    /// <summary>Port-forwards the engine's client (its User-Agent) opened on the workload API server.</summary>
    private long Forwards() => Cluster.ApiServer.Requests.Count("create", "pods/portforward", KubernetesClients.UserAgentProduct);

    [Fact]
    public async Task A_health_check_reaches_every_member_through_a_port_forward_to_its_pod()
    {
        Cluster.ApiServer.Requests.Reset();

        var etcd = await _access.Etcd.ConnectAsync(Key, CancellationToken.None);
        var report = await EtcdAdapterScenarios.AwaitHealthAsync(etcd, r => r.AllHealthy, "all healthy");

        Assert.Equal(3, report.Members.Count(m => !m.Member.IsLearner && m.Healthy));
        Assert.Equal(Cluster.InitialMachines.Order(), report.Members.Select(m => m.Member.Name).Order());
        // One forward per member connection, opened by the engine's client (its User-Agent) on the workload API server.
        Assert.Equal(3, Forwards());
        // The connections stay open: a second check opens none.
        await etcd.CheckHealthAsync(CancellationToken.None);
        Assert.Equal(3, Forwards());
    }

    [Fact]
    public async Task Leadership_moves_and_a_stopped_member_is_removed_through_port_forwards()
    {
        var etcd = await _access.Etcd.ConnectAsync(Key, CancellationToken.None);
        var before = await EtcdAdapterScenarios.AwaitHealthAsync(etcd, r => r.AllHealthy, "all healthy");

        var move = await etcd.MoveLeaderAwayFromAsync(before.LeaderId, before, CancellationToken.None);

        Assert.True(move.Moved);
        Assert.NotEqual(before.LeaderId, move.NewLeaderId);
        var follower = before.Members.Select(m => m.Member).First(m => m.Id != move.NewLeaderId);
        await Cluster.Etcd.StopMemberAsync(follower.Name);
        var removal = await etcd.RemoveMemberAsync(follower.Id, CancellationToken.None);
        Assert.False(removal.AlreadyAbsent);
        var after = await etcd.CheckHealthAsync(CancellationToken.None);
        Assert.DoesNotContain(after.Members, m => m.Member.Id == follower.Id);
        Assert.Equal(2, after.Members.Count);
    }

    [Fact]
    public async Task A_forward_the_API_server_refuses_fails_the_call_with_its_answer_and_a_later_call_gets_through()
    {
        await using var access = ManagementClusterAccess.FromKubeconfigText(_fleet.ManagementKubeconfig, options: new KubernetesAccessOptions
        {
            EtcdAccess = EtcdAccess.PortForward, Etcd = Kubernetes.Retries.RetryOptions.None,
        });
        Cluster.ApiServer.Faults.Add(new Simulator.ApiServer.FaultRule { Verb = "create", Resource = "pods/portforward", ErrorCode = 500 });
        var etcd = await access.Etcd.ConnectAsync(Key, CancellationToken.None);

        var refused = await Assert.ThrowsAnyAsync<Exception>(() => etcd.CheckHealthAsync(CancellationToken.None));

        Assert.Contains("refused by the API server: The server returned status code '500'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("create on pods/portforward", refused.Message, StringComparison.Ordinal);
        Cluster.ApiServer.Faults.Clear();
        var healed = await EtcdAdapterScenarios.AwaitHealthAsync(etcd, r => r.AllHealthy, "all healthy once forwards are allowed");
        Assert.Equal(3, healed.Members.Count);
    }

    [Fact]
    public async Task Forwards_the_API_server_breaks_are_opened_again_by_the_next_calls()
    {
        var etcd = await _access.Etcd.ConnectAsync(Key, CancellationToken.None);
        await EtcdAdapterScenarios.AwaitHealthAsync(etcd, r => r.AllHealthy, "all healthy");
        var before = Forwards();

        Assert.Equal(3, Cluster.ApiServer.Faults.CutPortForwards());
        var after = await EtcdAdapterScenarios.AwaitHealthAsync(etcd, r => r.AllHealthy, "all healthy again after the forwards broke");

        Assert.Equal(3, after.Members.Count);
        // Each member's connection was opened again through a new forward (a retry racing the close may open one more).
        Assert.InRange(Forwards(), before + 3, before + 6);
    }

    [Fact]
    public async Task A_port_the_pod_does_not_serve_is_refused_with_the_kubelets_reason()
    {
        var workload = await _access.Workloads.GetAsync(Key, CancellationToken.None);
        var pod = (await workload.ListKubeSystemPodsAsync("component=etcd", CancellationToken.None)).First();

        await using var stream = await workload.PortForwardAsync("kube-system", pod.Name, 1, CancellationToken.None);
        var error = await Assert.ThrowsAsync<IOException>(async () => await stream.ReadExactlyAsync(new byte[16]));

        Assert.Contains($"error forwarding port 1 to pod {pod.Name}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"pod kube-system/{pod.Name} port 1", error.Message, StringComparison.Ordinal);
    }
}
