using System.Text.Json.Nodes;
using CapiUpgrade.Simulator.Fleet;
using CapiUpgrade.Simulator.Observer;

namespace CapiUpgrade.Integration.Tests.Upgrade;

/// <summary>The final state a finished control-plane upgrade must leave, whatever happened on the way.</summary>
public static class UpgradeAssertions
{
    public static string Name(JsonObject o) => o["metadata"]!["name"]!.GetValue<string>();

    /// <summary>
    /// The cluster's control-plane Machines once each has its status.nodeRef, or as they are after 30 s. The engine
    /// finds a replacement's Node by its providerID and does not wait for Cluster API's nodeRef, so a run can end while
    /// the simulated Machine controller is still retrying that status patch (injected API errors): the final state is
    /// asserted once the controller has caught up, not in the instant the run exits.
    /// </summary>
    private static async Task<IReadOnlyList<JsonObject>> ControlPlaneMachinesWithNodeRefsAsync(FleetUnderTest f, SimulatedCluster c)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var machines = f.ControlPlaneMachines(c);
        while (machines.Any(m => m["status"]?["nodeRef"]?["name"] is null) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            machines = f.ControlPlaneMachines(c);
        }
        return machines;
    }

    public static async Task AssertUpgradedAsync(FleetUnderTest f, SimulatedCluster c, string version, int nodes = 3)
    {
        var machines = await ControlPlaneMachinesWithNodeRefsAsync(f, c);
        Assert.Equal(nodes, machines.Count);
        Assert.All(machines, m => Assert.Equal(version, m["spec"]!["version"]!.GetValue<string>()));
        Assert.All(machines, m => Assert.Null(m["metadata"]!["deletionTimestamp"]));
        Assert.DoesNotContain(machines, m => c.InitialMachines.Contains(Name(m)));
        var names = machines.Select(Name).ToHashSet();

        // No leftover infrastructure or bootstrap object: exactly the replacements' ones.
        var dockerMachines = f.List("infrastructure.cluster.x-k8s.io", "v1beta1", "dockermachines", c.Namespace).Select(Name).ToHashSet();
        var kubeadmConfigs = f.List("bootstrap.cluster.x-k8s.io", "v1beta1", "kubeadmconfigs", c.Namespace).Select(Name).ToHashSet();
        Assert.True(names.SetEquals(dockerMachines), $"DockerMachines {string.Join(",", dockerMachines)} vs Machines {string.Join(",", names)}");
        Assert.True(names.SetEquals(kubeadmConfigs), $"KubeadmConfigs {string.Join(",", kubeadmConfigs)} vs Machines {string.Join(",", names)}");

        // Exactly N healthy voting etcd members, none of them old.
        var members = (await c.Etcd.MemberListAsync()).Members;
        Assert.Equal(nodes, members.Count);
        Assert.All(members, m => Assert.False(m.IsLearner));
        var nodeNames = machines.Select(m => m["status"]?["nodeRef"]?["name"]?.GetValue<string>()).ToHashSet();
        Assert.All(members, m => Assert.Contains(m.Name, nodeNames));

        // Certificate secrets survived the init Machine's replacement; the claim is released.
        foreach (var suffix in new[] { "-ca", "-etcd", "-sa", "-proxy", "-kubeconfig" })
            Assert.Contains(f.List("", "v1", "secrets", c.Namespace), s => Name(s) == c.Name + suffix);
        var cluster = f.List("cluster.x-k8s.io", "v1beta1", "clusters", c.Namespace).Single(o => Name(o) == c.Name);
        Assert.Null(cluster["metadata"]!["annotations"]?["capi-upgrade.io/upgrade-id"]);

        // The workload cluster's kubeadm-config names the version.
        var kubeadm = c.ApiServer.Store.TryGet(c.ApiServer.Registry.FindByKind("v1", "ConfigMap")!, "kube-system", "kubeadm-config");
        Assert.Contains("kubernetesVersion: " + version, kubeadm!["data"]!["ClusterConfiguration"]!.GetValue<string>());

        await AssertNoViolationsAsync(f, c);
    }

    public static async Task AssertNoViolationsAsync(FleetUnderTest f, SimulatedCluster c)
    {
        var violations = f.Fleet.Observer.ViolationsOf(c.Key)
            // StaleMember is left out: the observer polls etcd every 100 ms, so right after a Machine is gone it can
            // still hold the membership from before the member's removal; the final state below has no stale member.
            .Where(v => v.Kind is InvariantKind.TooManyControlPlaneMachines or InvariantKind.QuorumLost or InvariantKind.MissingSecret)
            .ToList();
        Assert.True(violations.Count == 0, "observer violations:\n" + string.Join("\n", violations));
        // The observer's etcd view may be one poll behind the member removal that ended the upgrade: give it a
        // few polls to see the final membership, then require that no stale member is left.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (f.Fleet.Observer.Latest(c.Key)!.StaleMembers.Count > 0 && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Empty(f.Fleet.Observer.Latest(c.Key)!.StaleMembers);
    }
}
