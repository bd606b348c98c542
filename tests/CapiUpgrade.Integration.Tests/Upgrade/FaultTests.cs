using System.Text.Json.Nodes;
using CapiUpgrade.Cli.Run;
using CapiUpgrade.Core.Naming;
using CapiUpgrade.Core.Upgrades;
using CapiUpgrade.Core.Versions;
using CapiUpgrade.Simulator.Faults;
using CapiUpgrade.Simulator.Fleet;
using CapiUpgrade.Simulator.Observer;
using Xunit.Abstractions;
using static CapiUpgrade.Integration.Tests.Upgrade.UpgradeAssertions;

namespace CapiUpgrade.Integration.Tests.Upgrade;

/// <summary>Faults before and during `capi-upgrade run` (in-process engine) against the simulated fleet with simulated etcd.</summary>
public sealed class FaultTests(ITestOutputHelper output)
{
    private const string Target = "v1.30.2";

    private static Task<FleetUnderTest> FleetAsync(int seed, int nodes = 3) =>
        FleetUnderTest.StartAsync(new SimulatedFleetOptions { Etcd = FleetEtcd.Simulated, ControlPlaneReplicas = nodes, ProvisionDelay = TimeSpan.FromMilliseconds(150), RandomSeed = seed });

    private static RunOptions Options(FleetUnderTest f, string to = Target) => new()
    {
        Kubeconfig = f.Kubeconfig,
        Cluster = new ClusterKey(f.Cluster.Namespace, f.Cluster.Name),
        To = to,
        Db = f.Db,
    };

    /// <summary>The old Machine the engine replaces first (the hop planner's order), for a fault aimed at that replacement.</summary>
    private static string FirstReplaced(SimulatedCluster c) =>
        HopPlanner.Plan(new ControlPlaneObservation(
            c.InitialMachines.Select((m, i) => new ObservedMachine(m, "v1.29.4", m, true, IsInitMachine: i == 0)).ToList(), [], [], []), Target)[0].OldMachine;

    private async Task<(int Exit, string Output)> RunAsync(RunOptions options)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var writer = new StringWriter();
        int exit;
        try
        {
            exit = await UpgradeRun.RunAsync(options, writer, cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("capi-upgrade run did not finish in 2 minutes; output so far:\n" + writer);
        }
        output.WriteLine(writer.ToString());
        return (exit, writer.ToString());
    }

    private static void AssertUntouched(FleetUnderTest f)
    {
        var machines = f.ControlPlaneMachines(f.Cluster);
        Assert.Equal(f.Cluster.InitialMachines.Order(), machines.Select(Name).Order());
        Assert.All(machines, m => Assert.Null(m["metadata"]!["annotations"]?["pre-terminate.delete.hook.machine.cluster.x-k8s.io/capi-upgrade"]));
        var cluster = f.List("cluster.x-k8s.io", "v1beta1", "clusters", f.Cluster.Namespace).Single(o => Name(o) == f.Cluster.Name);
        Assert.Null(cluster["metadata"]!["annotations"]?["capi-upgrade.io/upgrade-id"]);
    }

    [Fact]
    public async Task Unhealthy_etcd_member_before_start_pauses_with_the_reason_and_touches_nothing()
    {
        await using var f = await FleetAsync(31);
        var member = f.Cluster.InitialMachines[1];
        await f.Fleet.Faults.InjectAsync(new FaultSpec { Kind = FaultKind.EtcdMemberUnhealthy, Cluster = f.Cluster.Key, Member = member });
        var (exit, text) = await RunAsync(Options(f));

        Assert.Equal(RunExitCodes.Paused, exit);
        Assert.Contains($"etcd voting member {member}", text);
        Assert.Contains("to go on", text);
        AssertUntouched(f);
    }

    [Fact]
    public async Task Stale_etcd_member_at_start_is_removed_when_quorum_safe_then_the_upgrade_finishes()
    {
        await using var f = await FleetAsync(32);
        await f.Cluster.Etcd.JoinAsync("ghost-node");
        await f.Cluster.Etcd.StopMemberAsync("ghost-node");
        Assert.Equal(4, (await f.Cluster.Etcd.MemberListAsync()).Members.Count);
        var (exit, text) = await RunAsync(Options(f));

        Assert.True(exit == RunExitCodes.Succeeded, text);
        Assert.Contains("stale etcd members ghost-node", text);
        Assert.DoesNotContain((await f.Cluster.Etcd.MemberListAsync()).Members, m => m.Name == "ghost-node");
        var machines = f.ControlPlaneMachines(f.Cluster);
        Assert.All(machines, m => Assert.Equal(Target, m["spec"]!["version"]!.GetValue<string>()));
        Assert.Equal(3, (await f.Cluster.Etcd.MemberListAsync()).Members.Count);
        Assert.DoesNotContain(f.Fleet.Observer.ViolationsOf(f.Cluster.Key), v => v.Kind is InvariantKind.TooManyControlPlaneMachines or InvariantKind.QuorumLost);
    }

    [Fact]
    public async Task Etcd_members_that_answer_too_slowly_during_a_member_removal_are_waited_for_not_taken_for_a_lost_quorum()
    {
        await using var f = await FleetAsync(35);
        var c = f.Cluster;
        var first = FirstReplaced(c);
        var others = c.InitialMachines.Where(m => m != first).ToList();
        // Once the first old Machine's deletion is issued, its member's removal is next (after the drain and a
        // leader move): the two other old members then answer every call 6 s late, past the engine's 5 s
        // deadline, for 8 s — longer than the leader move's health check, so the removal's own check meets them
        // silent. They keep their votes: etcd's quorum is never at risk, only the engine cannot see it.
        var slow = new FaultSpec { Kind = FaultKind.EtcdMemberSlow, Cluster = c.Key, LatencyMilliseconds = 6000 };
        var silence = Task.Run(async () =>
        {
            while (f.ControlPlaneMachines(c).FirstOrDefault(m => Name(m) == first) is { } m && m["metadata"]!["deletionTimestamp"] is null)
                await Task.Delay(20);
            foreach (var member in others)
                await f.Fleet.Faults.InjectAsync(slow with { Member = member });
            await Task.Delay(TimeSpan.FromSeconds(8));
            return await f.Fleet.Faults.ClearAsync(slow);
        });

        var (exit, text) = await RunAsync(Options(f));

        Assert.Equal(2, (await silence).Count);
        Assert.True(exit == RunExitCodes.Succeeded, text);
        Assert.Matches($"RemoveEtcdMember {first}: etcd member {first} \\([0-9a-f]+\\) removed", text);
        await AssertUpgradedAsync(f, c, Target);
        Assert.DoesNotContain(f.Fleet.Observer.ViolationsOf(c.Key), v => v.Kind is InvariantKind.QuorumLost);
    }

    [Fact]
    public async Task Replacement_whose_Node_never_becomes_Ready_pauses_after_the_timeout_and_retry_recovers()
    {
        await using var f = await FleetAsync(33);
        var c = f.Cluster;
        var id = UpgradeId.Derive(c.Namespace, c.Name, KubernetesVersion.Parse(Target));
        var first = FirstReplaced(c);
        var replacement = ReplacementName.For(first, id);
        var fault = new FaultSpec { Kind = FaultKind.NodeNeverReady, Cluster = c.Key, Machine = replacement };
        await f.Fleet.Faults.InjectAsync(fault);

        var (exit, text) = await RunAsync(Options(f) with { MachineTimeout = TimeSpan.FromSeconds(4) });
        Assert.Equal(RunExitCodes.Paused, exit);
        Assert.Contains($"Node {replacement} to be Ready", text);
        Assert.Contains("--retry", text);

        await f.Fleet.Faults.ClearAsync(fault);
        var (exit2, text2) = await RunAsync(Options(f) with { Retry = true });
        Assert.True(exit2 == RunExitCodes.Succeeded, text2);
        Assert.Contains("RemoveFailedReplacement", text2);
        await AssertUpgradedAsync(f, c, Target);
    }

    [Fact]
    public async Task Cluster_claimed_by_another_upgrade_is_refused_naming_the_holder()
    {
        await using var f = await FleetAsync(34);
        var clusters = f.Fleet.Management.Registry.Find("cluster.x-k8s.io", "v1beta1", "clusters")!;
        f.Fleet.Management.Store.Patch(clusters, f.Cluster.Namespace, f.Cluster.Name, o =>
        {
            var metadata = o["metadata"]!.AsObject();
            if (metadata["annotations"] is not JsonObject annotations) metadata["annotations"] = annotations = new JsonObject();
            annotations["capi-upgrade.io/upgrade-id"] = "someone-elses-upgrade";
            return o;
        }, false);
        var (exit, text) = await RunAsync(Options(f));

        Assert.Equal(RunExitCodes.Refused, exit);
        Assert.Contains("someone-elses-upgrade", text);
        var machines = f.ControlPlaneMachines(f.Cluster);
        Assert.Equal(f.Cluster.InitialMachines.Order(), machines.Select(Name).Order());
    }

    [Fact]
    public async Task Single_node_control_plane_is_refused_without_the_flag()
    {
        await using var f = await FleetAsync(35, nodes: 1);
        var (exit, text) = await RunAsync(Options(f));
        Assert.Equal(RunExitCodes.Refused, exit);
        Assert.Contains("--allow-single-node", text);
        AssertUntouched(f);
    }

    [Fact]
    public async Task Single_node_control_plane_is_upgraded_with_the_flag_going_one_two_one_members_without_losing_quorum()
    {
        await using var f = await FleetAsync(37, nodes: 1);
        var (exit, text) = await RunAsync(Options(f) with { AllowSingleNode = true });
        Assert.True(exit == RunExitCodes.Succeeded, text);
        // Surge of one: 1 → 2 Machines and voters, then back to 1. The old (only) voter is removed only after the
        // new member was seen promoted and healthy; the 2-voter moment can be shorter than the observer's 100 ms
        // etcd poll, so the order is read from the run's own log, and the observer checks quorum and Machines.
        var promoted = text.IndexOf("✓ AwaitReplacementReady", StringComparison.Ordinal);
        var removed = text.IndexOf("✓ RemoveEtcdMember", StringComparison.Ordinal);
        Assert.True(promoted >= 0 && removed > promoted, text);
        Assert.Contains("etcd member promoted and healthy", text);
        Assert.Contains(f.Fleet.Observer.History(f.Cluster.Key), s => s.ControlPlaneMachines == 2);
        await AssertUpgradedAsync(f, f.Cluster, Target, nodes: 1);
    }

    [Fact]
    public async Task Skip_minor_target_is_upgraded_as_a_chain_of_hops()
    {
        await using var f = await FleetAsync(36);
        var (exit, text) = await RunAsync(Options(f, "v1.31.1"));
        Assert.True(exit == RunExitCodes.Succeeded, text);
        Assert.Contains("hop 1 to v1.30.0", text);
        Assert.Contains("hop 2 to v1.31.1", text);
        await AssertUpgradedAsync(f, f.Cluster, "v1.31.1");
    }

    [Fact]
    public async Task Ten_percent_API_errors_still_complete()
    {
        await using var f = await FleetAsync(37);
        await f.Fleet.Faults.InjectAsync(new FaultSpec { Kind = FaultKind.ApiErrors, Cluster = FaultSpec.Management, Code = 500, Rate = 0.1 });
        await f.Fleet.Faults.InjectAsync(new FaultSpec { Kind = FaultKind.ApiErrors, Cluster = f.Cluster.Key, Code = 500, Rate = 0.1 });
        var (exit, text) = await RunAsync(Options(f));
        Assert.True(exit == RunExitCodes.Succeeded, text);
        await AssertUpgradedAsync(f, f.Cluster, Target);
    }

    [Fact]
    public async Task Five_node_control_plane_is_upgraded_end_to_end()
    {
        await using var f = await FleetAsync(38, nodes: 5);
        var (exit, text) = await RunAsync(Options(f));
        Assert.True(exit == RunExitCodes.Succeeded, text);
        await AssertUpgradedAsync(f, f.Cluster, Target, nodes: 5);
    }
}
