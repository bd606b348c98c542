using CapiUpgrade.Core.Upgrades;

namespace CapiUpgrade.Core.Tests.Upgrades;

public class HopPlannerTests
{
    [Fact]
    public void Plans_every_old_Machine_pending_with_the_init_Machine_last()
    {
        var plan = HopPlanner.Plan(UpgradeDriver.ThreeNodes(), "v1.30.2");
        Assert.Equal(new[] { "cp-2", "cp-3", "cp-1" }, plan.Select(m => m.OldMachine));
        Assert.All(plan, m => Assert.Equal(ReplacementStage.Pending, m.Stage));
        Assert.True(plan[^1].IsInitMachine);
        Assert.Equal("node-2", plan[0].OldNode);
    }

    [Fact]
    public void After_a_lost_journal_an_existing_replacement_is_found_and_the_half_deleted_Machine_comes_first()
    {
        var observed = UpgradeDriver.ThreeNodes();
        var machines = observed.Machines.ToList();
        // cp-2 was replaced and is held by our hook; cp-3's replacement exists already.
        machines[1] = machines[1] with { Deleting = true, HasUpgradeHook = true };
        machines.Add(new ObservedMachine("cp-2-up1", "v1.30.2", "cp-2-up1", true, ReplacementFor: "cp-2"));
        machines.Add(new ObservedMachine("cp-3-up1", "1.30.2", null, false, ReplacementFor: "cp-3"));
        var plan = HopPlanner.Plan(observed with { Machines = machines }, "v1.30.2");

        Assert.Equal(new[] { "cp-2", "cp-3", "cp-1" }, plan.Select(m => m.OldMachine));
        Assert.Equal(ReplacementStage.OldMachineDeleting, plan[0].Stage);
        Assert.Equal("cp-2-up1", plan[0].Replacement);
        // Not deleting: start again at the hook; create-or-get finds cp-3-up1 instead of making a second one.
        Assert.Equal(ReplacementStage.Pending, plan[1].Stage);
        Assert.Equal("cp-3-up1", plan[1].Replacement);
    }

    [Fact]
    public void A_Machine_deleting_without_our_hook_is_only_awaited()
    {
        var observed = UpgradeDriver.ThreeNodes();
        var machines = observed.Machines.Select(m => m.Name == "cp-3" ? m with { Deleting = true } : m).ToList();
        var plan = HopPlanner.Plan(observed with { Machines = machines }, "v1.30.2");
        Assert.Equal(ReplacementStage.HookReleased, plan.Single(m => m.OldMachine == "cp-3").Stage);
        Assert.Equal(UpgradeStep.AwaitOldMachineGone, plan.Single(m => m.OldMachine == "cp-3").NextStep);
    }

    [Fact]
    public void Machines_at_the_hop_version_are_not_replaced()
    {
        var observed = UpgradeDriver.ThreeNodes();
        var machines = observed.Machines.Select(m => m.Name == "cp-1" ? m with { Version = "v1.30.2" } : m).ToList();
        Assert.Equal(2, HopPlanner.Plan(observed with { Machines = machines }, "1.30.2").Count);
    }

    [Fact]
    public void Stale_members_are_those_with_no_Machine_and_no_Node()
    {
        var observed = UpgradeDriver.ThreeNodes();
        observed = observed with { Members = observed.Members.Append(new ObservedEtcdMember(9, "ghost", false, false)).Append(new ObservedEtcdMember(10, "cp-4", true, true)).ToList() };
        var machines = observed.Machines.Append(new ObservedMachine("cp-4", "v1.30.2", null, false, ReplacementFor: "cp-1")).ToList();
        Assert.Equal(new[] { "ghost" }, SafetyCheck.StaleMembers(observed with { Machines = machines }).Select(m => m.Name));
    }

    [Fact]
    public void Control_plane_size_ignores_deleting_Machines_and_our_replacements_of_existing_Machines()
    {
        var observed = UpgradeDriver.ThreeNodes(count: 1);
        var machines = observed.Machines.Append(new ObservedMachine("cp-1-up1", "v1.30.2", null, false, ReplacementFor: "cp-1")).ToList();
        Assert.Equal(1, HopPlanner.ControlPlaneSize(observed with { Machines = machines }));
    }

    [Theory]
    [InlineData("v1.30.2", "1.30.2", true)]
    [InlineData("V1.30.2", "v1.30.2", true)]
    [InlineData("v1.30.2", "v1.30.3", false)]
    public void Versions_compare_with_or_without_v(string a, string b, bool same) => Assert.Equal(same, HopPlanner.SameVersion(a, b));
}

public class ClusterKeyTests
{
    [Fact]
    public void Default_management_entity_and_persistence_ids()
    {
        var key = ClusterKey.Parse("fleet/alpha");
        Assert.Equal("fleet/alpha", key.EntityId);
        Assert.Equal("cluster-upgrade/fleet/alpha", key.PersistenceId);
    }

    [Fact]
    public void Named_management_entity_id_has_three_parts()
    {
        var key = ClusterKey.Parse("east/fleet/alpha");
        Assert.Equal("east/fleet/alpha", key.EntityId);
        Assert.Equal("cluster-upgrade/east/fleet/alpha", key.PersistenceId);
        Assert.Equal(ClusterKey.Parse("default/fleet/alpha"), ClusterKey.Parse("fleet/alpha"));
    }

    [Theory]
    [InlineData("alpha")]
    [InlineData("a/b/c/d")]
    [InlineData("/alpha")]
    public void Bad_keys_say_the_expected_form(string value) =>
        Assert.Contains("NAMESPACE/NAME", Assert.Throws<FormatException>(() => ClusterKey.Parse(value)).Message);
}
