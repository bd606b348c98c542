using System.Diagnostics;
using System.Net;
using System.Text.Json;
using CapiUpgrade.Simulator.Faults;
using CapiUpgrade.Simulator.Fleet;
using CapiUpgrade.Simulator.Observer;
using CapiUpgrade.Simulator.Tests.Etcd;
using k8s;

namespace CapiUpgrade.Simulator.Tests.Fleet;

/// <summary>Each fault injected through the admin endpoint (what `sim fault` uses) and observed through public APIs.</summary>
public sealed class FleetFaultTests : IAsyncLifetime
{
    private SimulatedFleet _fleet = null!;
    private Kubernetes _management = null!;
    private FleetAdminClient _admin = null!;
    private SimulatedCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _fleet = await SimulatedFleet.StartAsync(new SimulatedFleetOptions
        {
            Clusters = 1, Etcd = FleetEtcd.Simulated, ProvisionDelay = TimeSpan.FromMilliseconds(100), RandomSeed = 3,
        });
        _management = FleetClients.Management(_fleet);
        _admin = await FleetAdminClient.FromKubeconfigAsync(_fleet.ManagementKubeconfig);
        _cluster = _fleet.Clusters[0];
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        _management.Dispose();
        await _fleet.DisposeAsync();
    }

    private FaultSpec Fault(FaultKind kind, string? machine = null) => new() { Kind = kind, Cluster = _cluster.Key, Machine = machine };

    [Fact]
    public async Task Provisioning_failure_ends_the_new_machine_in_phase_failed_with_a_reason()
    {
        await _admin.InjectAsync(Fault(FaultKind.ProvisioningFails));
        var name = _cluster.Name + "-doomed";
        await FleetClients.CreateJoinMachineAsync(_management, _cluster.Namespace, _cluster.Name, name, "v1.29.4");
        await Eventually.TrueAsync(async () => FleetClients.Phase(await FleetClients.MachineAsync(_management, _cluster.Namespace, name)) == "Failed", "phase Failed");
        var machine = (await FleetClients.MachineAsync(_management, _cluster.Namespace, name))!.Value;
        Assert.Equal("CreateError", machine.GetProperty("status").GetProperty("failureReason").GetString());
        Assert.Contains("injected fault", machine.GetProperty("status").GetProperty("failureMessage").GetString());
        Assert.Equal(3, (await _cluster.Etcd.MemberListAsync()).Members.Count);
    }

    [Fact]
    public async Task Node_not_ready_and_static_pod_not_ready_show_in_the_workload_cluster_and_clear()
    {
        var target = _cluster.InitialMachines[1];
        using var workload = await FleetClients.WorkloadAsync(_management, _cluster.Namespace, _cluster.Name);
        await _admin.InjectAsync(Fault(FaultKind.NodeNeverReady, target));
        await _admin.InjectAsync(Fault(FaultKind.StaticPodNotReady, target) with { Component = "etcd" });
        await Eventually.TrueAsync(async () => !FleetClients.IsReady(await workload.ReadNodeAsync(target)), "the Node to be not Ready");
        await Eventually.TrueAsync(async () => !FleetClients.IsReady(await workload.ReadNamespacedPodAsync($"etcd-{target}", "kube-system")), "the etcd pod to be not Ready");
        Assert.True(FleetClients.IsReady(await workload.ReadNamespacedPodAsync($"kube-apiserver-{target}", "kube-system")));
        Assert.True(FleetClients.IsReady(await workload.ReadNodeAsync(_cluster.InitialMachines[0])));
        await Eventually.TrueAsync(async () => FleetClients.Condition(await FleetClients.MachineAsync(_management, _cluster.Namespace, target), "NodeHealthy")
            is { } c && c.GetProperty("status").GetString() == "False", "Machine condition NodeHealthy False");

        Assert.Equal(2, (await _admin.ListFaultsAsync()).Count);
        await _admin.ClearAsync();
        await Eventually.TrueAsync(async () => FleetClients.IsReady(await workload.ReadNodeAsync(target)), "the Node to be Ready again");
        await Eventually.TrueAsync(async () => FleetClients.IsReady(await workload.ReadNamespacedPodAsync($"etcd-{target}", "kube-system")), "the etcd pod to be Ready again");

        // a new Machine under the fault never gets a Ready Node
        await _admin.InjectAsync(Fault(FaultKind.NodeNeverReady));
        var name = _cluster.Name + "-sick";
        await FleetClients.CreateJoinMachineAsync(_management, _cluster.Namespace, _cluster.Name, name, "v1.29.4");
        await Eventually.TrueAsync(async () => FleetClients.Phase(await FleetClients.MachineAsync(_management, _cluster.Namespace, name)) == "Running", "the Machine to run");
        Assert.False(FleetClients.IsReady(await workload.ReadNodeAsync(name)));
    }

    [Fact]
    public async Task Etcd_member_stopped_unhealthy_and_nospace_are_seen_by_etcdctl()
    {
        var (ca, client) = await FleetClients.EtcdCredentialsAsync(_management, _cluster.Namespace, _cluster.Name);
        using var etcdctl = new Etcdctl(ca, client);
        var endpoints = await FleetClients.EtcdEndpointsAsync(await FleetClients.WorkloadAsync(_management, _cluster.Namespace, _cluster.Name));
        var stopped = _cluster.InitialMachines[1];
        var stoppedUrl = _cluster.Etcd.ClientUrlOf(stopped)!;
        var unhealthy = _cluster.InitialMachines[2];
        var unhealthyUrl = _cluster.Etcd.ClientUrlOf(unhealthy)!;

        await _admin.InjectAsync(new FaultSpec { Kind = FaultKind.EtcdMemberStopped, Cluster = _cluster.Key, Member = stopped });
        var health = await etcdctl.RunAsync(endpoints, "endpoint", "health");
        Assert.Contains(stoppedUrl + " is unhealthy", health.Output);
        await Eventually.TrueAsync(() => _fleet.Observer.Latest(_cluster.Key)?.HealthyVoters == 2, "the observer to see 2 healthy voters");

        await _admin.InjectAsync(new FaultSpec { Kind = FaultKind.EtcdMemberUnhealthy, Cluster = _cluster.Key, Member = unhealthy });
        health = await etcdctl.RunAsync(endpoints, "endpoint", "health");
        Assert.Contains(unhealthyUrl + " is unhealthy", health.Output);
        var status = await etcdctl.RunAsync([unhealthyUrl], "endpoint", "status");
        Assert.Equal(0, status.ExitCode); // the process answers; only health fails
        await Eventually.TrueAsync(() => _fleet.Observer.ViolationsOf(_cluster.Key).Any(v => v.Kind == InvariantKind.QuorumLost), "the observer to report quorum loss");

        await _admin.ClearAsync();
        health = await etcdctl.RunAsync(endpoints, "endpoint", "health");
        Assert.True(health.ExitCode == 0, health.Output);

        await _admin.InjectAsync(new FaultSpec { Kind = FaultKind.EtcdAlarmNospace, Cluster = _cluster.Key, Member = _cluster.InitialMachines[0] });
        var alarms = await etcdctl.RunAsync(endpoints, "alarm", "list");
        Assert.Contains("alarm:NOSPACE", alarms.Output);
        await Eventually.TrueAsync(() => _fleet.Observer.ViolationsOf(_cluster.Key).Any(v => v.Kind == InvariantKind.EtcdAlarm), "the observer to report the alarm");
        await _admin.ClearAsync(new FaultSpec { Kind = FaultKind.EtcdAlarmNospace, Cluster = _cluster.Key });
        Assert.DoesNotContain("NOSPACE", (await etcdctl.RunAsync(endpoints, "alarm", "list")).Output);
    }

    [Fact]
    public async Task A_slow_etcd_member_answers_after_the_clients_deadline_but_keeps_its_vote()
    {
        var (ca, client) = await FleetClients.EtcdCredentialsAsync(_management, _cluster.Namespace, _cluster.Name);
        using var etcdctl = new Etcdctl(ca, client);
        var slow = _cluster.InitialMachines[1];
        var slowUrl = _cluster.Etcd.ClientUrlOf(slow)!;
        var otherUrl = _cluster.Etcd.ClientUrlOf(_cluster.InitialMachines[2])!;

        await _admin.InjectAsync(new FaultSpec { Kind = FaultKind.EtcdMemberSlow, Cluster = _cluster.Key, Member = slow, LatencyMilliseconds = 5000 });
        var late = await etcdctl.RunAsync([slowUrl], "endpoint", "status"); // etcdctl gives up after 3 s
        var other = await etcdctl.RunAsync([otherUrl], "endpoint", "status");

        Assert.NotEqual(0, late.ExitCode);
        Assert.Contains("deadline exceeded", late.Output, StringComparison.OrdinalIgnoreCase);
        Assert.True(other.ExitCode == 0, other.Output);
        Assert.DoesNotContain(_fleet.Observer.ViolationsOf(_cluster.Key), v => v.Kind == InvariantKind.QuorumLost);
        await _admin.ClearAsync(new FaultSpec { Kind = FaultKind.EtcdMemberSlow, Cluster = _cluster.Key });
        var again = await etcdctl.RunAsync([slowUrl], "endpoint", "status");
        Assert.True(again.ExitCode == 0, again.Output);
    }

    [Fact]
    public async Task A_drain_that_never_finishes_holds_the_deleted_machine_until_cleared()
    {
        var victim = _cluster.InitialMachines[2];
        await _admin.InjectAsync(Fault(FaultKind.DrainNeverFinishes, victim));
        await _management.CustomObjects.DeleteNamespacedCustomObjectAsync("cluster.x-k8s.io", "v1beta1", _cluster.Namespace, "machines", victim);
        await Eventually.TrueAsync(async () => FleetClients.Condition(await FleetClients.MachineAsync(_management, _cluster.Namespace, victim), "DrainingSucceeded")
            is { } c && c.GetProperty("status").GetString() == "False" && c.GetProperty("reason").GetString() == "Draining", "the drain to hang");
        Assert.True(_cluster.Etcd.Processes.Single(p => p.Name == victim).IsRunning);
        await _admin.ClearAsync();
        await Eventually.TrueAsync(async () => await FleetClients.MachineAsync(_management, _cluster.Namespace, victim) is null, "the Machine to be deleted");
    }

    [Fact]
    public async Task Api_errors_and_latency_hit_the_chosen_api_server()
    {
        await _admin.InjectAsync(new FaultSpec { Kind = FaultKind.ApiErrors, Cluster = FaultSpec.Management, Code = 500, Rate = 1, Verb = "list", Resource = "machines" });
        var error = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() =>
            _management.CustomObjects.ListNamespacedCustomObjectAsync<JsonElement>("cluster.x-k8s.io", "v1beta1", _cluster.Namespace, "machines"));
        Assert.Equal(HttpStatusCode.InternalServerError, error.Response.StatusCode);
        Assert.NotNull(await _management.ReadNamespacedSecretAsync($"{_cluster.Name}-ca", _cluster.Namespace));
        await _admin.ClearAsync();
        await _management.CustomObjects.ListNamespacedCustomObjectAsync<JsonElement>("cluster.x-k8s.io", "v1beta1", _cluster.Namespace, "machines");

        using var workload = await FleetClients.WorkloadAsync(_management, _cluster.Namespace, _cluster.Name);
        await _admin.InjectAsync(new FaultSpec { Kind = FaultKind.ApiLatency, Cluster = _cluster.Key, LatencyMilliseconds = 400, Resource = "nodes" });
        var watch = Stopwatch.StartNew();
        await workload.ListNodeAsync();
        Assert.True(watch.ElapsedMilliseconds >= 400, $"listing nodes took {watch.ElapsedMilliseconds} ms despite 400 ms injected latency");
        var bad = await Assert.ThrowsAsync<InvalidOperationException>(() => _admin.InjectAsync(new FaultSpec { Kind = FaultKind.ApiErrors, Cluster = "nowhere/none" }));
        Assert.Contains("no cluster 'nowhere/none'", bad.Message);
    }
}
