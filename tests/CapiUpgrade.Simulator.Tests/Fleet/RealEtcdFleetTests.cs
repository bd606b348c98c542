using CapiUpgrade.Simulator.Fleet;
using CapiUpgrade.Simulator.Observer;
using CapiUpgrade.Simulator.Tests.Etcd;
using Etcdserverpb;
using k8s;

namespace CapiUpgrade.Simulator.Tests.Fleet;

/// <summary>The "done when" with real TLS etcd: bring-up, join as learner + promote, deletion leaving a stale member.</summary>
[Collection(RealEtcdCollection.Name)]
public sealed class RealEtcdFleetTests
{
    [Fact]
    public async Task A_real_etcd_cluster_comes_up_joins_a_learner_and_keeps_a_stale_member_after_deletion()
    {
        await using var fleet = await SimulatedFleet.StartAsync(new SimulatedFleetOptions
        {
            Clusters = 1, Etcd = FleetEtcd.Real, ProvisionDelay = TimeSpan.FromMilliseconds(200), RandomSeed = 11,
        });
        Assert.Equal(Simulator.Etcd.EtcdMode.Real, fleet.EtcdMode);
        using var management = FleetClients.Management(fleet);
        var cluster = fleet.Clusters[0];

        // 3 healthy voting members, reachable only with a client certificate minted from the CA secret
        var (ca, client) = await FleetClients.EtcdCredentialsAsync(management, cluster.Namespace, cluster.Name);
        var endpoints = await FleetClients.EtcdEndpointsAsync(await FleetClients.WorkloadAsync(management, cluster.Namespace, cluster.Name));
        Assert.Equal(3, endpoints.Count);
        using (var etcdctl = new Etcdctl(ca, client))
        {
            var health = await etcdctl.RunAsync(endpoints, "endpoint", "health");
            Assert.True(health.ExitCode == 0, health.Output);
            var list = await etcdctl.RunAsync(endpoints, "member", "list");
            Assert.All(cluster.InitialMachines, m => Assert.Contains(m, list.Output));
            Assert.DoesNotContain("true", list.Output.Split('\n').Select(l => l.Split(',').Last().Trim())); // IS LEARNER column
        }
        using (var noCert = new Etcdctl(ca))
            Assert.NotEqual(0, (await noCert.RunAsync(endpoints.Take(1), "member", "list")).ExitCode);

        // a join Machine: learner, then promoted, Ready Node
        var joined = cluster.Name + "-join";
        await FleetClients.CreateJoinMachineAsync(management, cluster.Namespace, cluster.Name, joined, "v1.29.4");
        await Eventually.TrueAsync(async () => FleetClients.Phase(await FleetClients.MachineAsync(management, cluster.Namespace, joined)) == "Running",
            "the join Machine to be Running", TimeSpan.FromSeconds(120));
        using (var etcd = await FleetClients.EtcdAsync(management, cluster.Namespace, cluster.Name))
        {
            var members = await etcd.MemberListAsync(new MemberListRequest(), deadline: DateTime.UtcNow.AddSeconds(15));
            Assert.Equal(4, members.Members.Count);
            Assert.False(members.Members.Single(m => m.Name == joined).IsLearner);
        }
        using var workload = await FleetClients.WorkloadAsync(management, cluster.Namespace, cluster.Name);
        Assert.True(FleetClients.IsReady(await workload.ReadNodeAsync(joined)));
        Assert.Contains(fleet.Observer.History(cluster.Key), s => s.Learners == 1);

        // deleting a Machine (held by the upgrader's pre-terminate hook, then released) stops its member but leaves it in the membership
        var victim = cluster.InitialMachines[1]; // not cp-0: its init KubeadmConfig owns the certificate secrets
        await FleetClients.PatchMachineAsync(management, cluster.Namespace, victim,
            new { metadata = new { annotations = new Dictionary<string, string> { ["pre-terminate.delete.hook.machine.cluster.x-k8s.io/capi-upgrade"] = "" } } });
        await management.CustomObjects.DeleteNamespacedCustomObjectAsync("cluster.x-k8s.io", "v1beta1", cluster.Namespace, "machines", victim);
        await Eventually.TrueAsync(async () => FleetClients.Condition(await FleetClients.MachineAsync(management, cluster.Namespace, victim), "PreTerminateDeleteHookSucceeded")
            is { } c && c.GetProperty("reason").GetString() == "WaitingExternalHook", "the hook to hold the Machine");
        await FleetClients.PatchMachineAsync(management, cluster.Namespace, victim,
            new { metadata = new { annotations = new Dictionary<string, string?> { ["pre-terminate.delete.hook.machine.cluster.x-k8s.io/capi-upgrade"] = null } } });
        await Eventually.TrueAsync(async () => await FleetClients.MachineAsync(management, cluster.Namespace, victim) is null, "the Machine to be gone", TimeSpan.FromSeconds(60));

        var survivors = cluster.Etcd.Processes.Where(p => p.IsRunning).Select(p => p.ClientUrl).ToList();
        Assert.Equal(3, survivors.Count);
        using (var etcd = await FleetClients.EtcdAsync(management, cluster.Namespace, cluster.Name, survivors))
            Assert.Contains((await etcd.MemberListAsync(new MemberListRequest(), deadline: DateTime.UtcNow.AddSeconds(15))).Members, m => m.Name == victim);
        await Eventually.TrueAsync(() => fleet.Observer.ViolationsOf(cluster.Key).Any(v => v.Kind == InvariantKind.StaleMember && v.Message.Contains(victim)),
            "the observer to report the stale member", TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(fleet.Observer.ViolationsOf(cluster.Key), v => v.Kind == InvariantKind.QuorumLost);
    }
}
