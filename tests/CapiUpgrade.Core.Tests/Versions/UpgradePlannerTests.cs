using CapiUpgrade.Core.Versions;

namespace CapiUpgrade.Core.Tests.Versions;

public class UpgradePlannerTests
{
    private static KubernetesVersion V(string s) => KubernetesVersion.Parse(s);

    [Fact]
    public void One_minor_is_a_single_hop()
    {
        var plan = UpgradePlanner.Plan("default/c1", V("v1.29.4"), V("v1.30.2"));
        Assert.False(plan.IsRefused);
        var hop = Assert.Single(plan.Hops);
        Assert.Equal(V("v1.29.4"), hop.From);
        Assert.Equal(V("v1.30.2"), hop.To);
    }

    [Fact]
    public void Patch_upgrade_within_a_minor_is_a_single_hop()
    {
        var plan = UpgradePlanner.Plan("default/c1", V("v1.30.1"), V("v1.30.5"));
        Assert.Equal("v1.30.1 -> v1.30.5", Assert.Single(plan.Hops).ToString());
    }

    [Fact]
    public void Multi_minor_target_becomes_a_chain_with_dot_zero_defaults_and_says_so()
    {
        var plan = UpgradePlanner.Plan("default/c1", V("v1.28.3"), V("v1.31.2"));
        Assert.False(plan.IsRefused);
        Assert.Equal(["v1.28.3 -> v1.29.0", "v1.29.0 -> v1.30.0", "v1.30.0 -> v1.31.2"], plan.Hops.Select(h => h.ToString()));
        Assert.Equal([0, 1, 2], plan.Hops.Select(h => h.Index));
        Assert.Equal(2, plan.Findings.Count(f => f.Code == "IntermediateVersionDefaulted"));
        Assert.Contains(plan.Findings, f => f.Message.Contains("--versions v1.29.N"));
    }

    [Fact]
    public void Chain_uses_the_operator_listed_patch_versions()
    {
        var plan = UpgradePlanner.Plan("default/c1", V("v1.28.3"), V("v1.31.2"),
            available: AvailableVersions.Parse("v1.29.10,v1.29.3,v1.30.6,v1.31.9"));
        Assert.Equal(["v1.28.3 -> v1.29.10", "v1.29.10 -> v1.30.6", "v1.30.6 -> v1.31.2"], plan.Hops.Select(h => h.ToString()));
        Assert.DoesNotContain(plan.Findings, f => f.Code == "IntermediateVersionDefaulted");
    }

    [Fact]
    public void Downgrade_is_refused_naming_the_fix()
    {
        var plan = UpgradePlanner.Plan("default/c1", V("v1.30.2"), V("v1.29.4"));
        Assert.True(plan.IsRefused);
        var f = Assert.Single(plan.Errors);
        Assert.Equal("VersionDowngrade", f.Code);
        Assert.Contains("Cluster default/c1", f.Message);
        Assert.Contains("at least v1.30.2", f.Fix);
        Assert.Empty(plan.Hops);
    }

    [Fact]
    public void Patch_downgrade_is_refused()
    {
        Assert.True(UpgradePlanner.Plan("default/c1", V("v1.30.2"), V("v1.30.1")).IsRefused);
    }

    [Fact]
    public void Same_version_is_nothing_to_do()
    {
        var plan = UpgradePlanner.Plan("default/c1", V("v1.30.2"), V("v1.30.2"));
        Assert.True(plan.IsNothingToDo);
        Assert.False(plan.IsRefused);
        Assert.Equal("AlreadyAtTarget", Assert.Single(plan.Findings).Code);
    }

    [Fact]
    public void Major_version_change_is_refused()
    {
        var plan = UpgradePlanner.Plan("default/c1", V("v1.30.2"), V("v2.0.0"));
        Assert.Equal("MajorVersionChange", Assert.Single(plan.Errors).Code);
    }

    [Fact]
    public void Worker_kubelet_three_minors_behind_is_allowed()
    {
        var nodes = new[] { new NodeKubelet("w-0", V("v1.27.1"), false) };
        var plan = UpgradePlanner.Plan("default/c1", V("v1.29.4"), V("v1.30.2"), nodes);
        Assert.False(plan.IsRefused);
    }

    [Fact]
    public void Worker_kubelet_that_would_be_four_minors_behind_refuses_the_hop_naming_the_node()
    {
        var nodes = new[]
        {
            new NodeKubelet("cp-0", V("v1.29.4"), true),
            new NodeKubelet("w-0", V("v1.27.1"), false),
        };
        var plan = UpgradePlanner.Plan("default/c1", V("v1.29.4"), V("v1.31.0"), nodes);
        Assert.True(plan.IsRefused);
        var f = Assert.Single(plan.Errors);
        Assert.Equal("KubeletTooOld", f.Code);
        Assert.Equal("status.nodeInfo.kubeletVersion", f.Field);
        Assert.Contains("Node w-0", f.Object);
        Assert.Contains("v1.30.0 -> v1.31.0", f.Problem);
        Assert.Contains("v1.28.0", f.Fix);
        Assert.Equal(2, plan.Hops.Count); // the plan still shows the chain
    }

    [Fact]
    public void Kubelet_ahead_of_the_control_plane_is_refused()
    {
        var nodes = new[] { new NodeKubelet("w-0", V("v1.31.0"), false) };
        var plan = UpgradePlanner.Plan("default/c1", V("v1.29.4"), V("v1.30.2"), nodes);
        Assert.Equal("KubeletAhead", Assert.Single(plan.Errors).Code);
    }

    [Fact]
    public void Control_plane_nodes_do_not_count_for_kubelet_skew_since_they_are_replaced()
    {
        var nodes = new[] { new NodeKubelet("cp-0", V("v1.25.0"), true) };
        Assert.False(UpgradePlanner.Plan("default/c1", V("v1.29.4"), V("v1.30.2"), nodes).IsRefused);
    }

    [Fact]
    public void A_kubelet_skew_is_reported_once_per_node()
    {
        var nodes = new[] { new NodeKubelet("w-0", V("v1.24.0"), false) };
        var plan = UpgradePlanner.Plan("default/c1", V("v1.26.0"), V("v1.30.0"), nodes);
        Assert.Single(plan.Errors);
    }

    [Fact]
    public void Mixed_control_plane_plans_from_the_lowest_version()
    {
        var plan = UpgradePlanner.Plan("default/c1", [V("v1.29.4"), V("v1.30.2"), V("v1.29.4")], V("v1.30.2"));
        Assert.False(plan.IsRefused);
        Assert.Equal(V("v1.29.4"), plan.Current);
        Assert.Single(plan.Hops);
        Assert.Contains(plan.Findings, f => f.Code == "MixedControlPlane");
    }

    [Fact]
    public void Control_plane_spread_over_more_than_one_minor_is_refused()
    {
        var plan = UpgradePlanner.Plan("default/c1", [V("v1.28.4"), V("v1.30.2")], V("v1.31.0"));
        Assert.Equal("ControlPlaneSkew", Assert.Single(plan.Errors).Code);
    }

    [Fact]
    public void A_machine_above_the_target_is_a_downgrade()
    {
        var plan = UpgradePlanner.Plan("default/c1", [V("v1.30.0"), V("v1.30.4")], V("v1.30.2"));
        Assert.Contains(plan.Errors, f => f.Code == "VersionDowngrade" && f.Problem.Contains("v1.30.4"));
    }

    [Fact]
    public void No_control_plane_machines_is_refused()
    {
        var plan = UpgradePlanner.Plan("default/c1", Array.Empty<KubernetesVersion>(), V("v1.30.2"));
        Assert.Equal("NoControlPlaneMachines", Assert.Single(plan.Errors).Code);
    }

    [Fact]
    public void Next_hop_from_a_resumed_position()
    {
        var plan = UpgradePlanner.Plan("default/c1", V("v1.28.3"), V("v1.30.2"));
        Assert.Equal(0, plan.NextHopFrom(V("v1.28.3"))!.Index);
        Assert.Equal(1, plan.NextHopFrom(V("v1.29.0"))!.Index);
        Assert.Null(plan.NextHopFrom(V("v1.30.2")));
    }
}
