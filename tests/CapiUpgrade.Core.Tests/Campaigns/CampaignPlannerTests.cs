using CapiUpgrade.Core.Campaigns;
using CapiUpgrade.Core.Versions;

namespace CapiUpgrade.Core.Tests.Campaigns;

public class CampaignPlannerTests
{
    internal static ClusterFacts Cluster(string key, string version = "v1.29.4", int replicas = 3, bool paused = false,
        bool? etcdHealthy = true, params (string Key, string Value)[] labels) =>
        new(ClusterKey.Parse(key), labels.ToDictionary(l => l.Key, l => l.Value),
            [KubernetesVersion.Parse(version)], paused, replicas, etcdHealthy);

    private static CampaignSpec Spec(string yaml) => CampaignSpecParser.Parse("name: c\ntargetVersion: v1.30.2\n" + yaml);

    [Fact]
    public void Six_clusters_in_two_waves()
    {
        var spec = Spec("""
            waves:
              - {name: first, count: 2, maxConcurrent: 2, soak: 10m}
              - {name: second, maxConcurrent: 2, approval: true}
            failureBudget: 1
            """);
        var fleet = Enumerable.Range(1, 6).Select(i => Cluster($"ns/c{i}")).ToList();
        var plan = CampaignPlanner.Plan(spec, fleet);
        Assert.Equal(["ns/c1", "ns/c2"], plan.Waves[0].Clusters);
        Assert.Equal(["ns/c3", "ns/c4", "ns/c5", "ns/c6"], plan.Waves[1].Clusters);
        Assert.Equal(2, plan.Waves[1].MaxConcurrent);
        Assert.True(plan.Waves[1].RequiresApproval);
        Assert.Equal(TimeSpan.FromMinutes(10), plan.Waves[0].Soak);
        Assert.Equal(1, plan.FailureBudget);
        Assert.Equal(6, plan.ClusterCount);
        Assert.All(plan.Clusters, c => Assert.True(c.Included));
        Assert.Equal(0, plan.Clusters.Single(c => c.Key == "ns/c2").Wave);
        Assert.Equal(1, plan.Clusters.Single(c => c.Key == "ns/c5").Wave);
    }

    [Fact]
    public void Preflight_excludes_paused_at_target_single_node_unhealthy_and_skewed_clusters_with_reasons()
    {
        var fleet = new[]
        {
            Cluster("ns/ok"),
            Cluster("ns/paused", paused: true),
            Cluster("ns/done", version: "v1.30.2"),
            Cluster("ns/single", replicas: 1),
            Cluster("ns/sick", etcdHealthy: false),
            Cluster("ns/newer", version: "v1.31.0"),
            Cluster("ns/unknown") with { ControlPlaneVersions = [] },
            new ClusterFacts(ClusterKey.Parse("ns/old-workers"), new Dictionary<string, string>(), [KubernetesVersion.Parse("v1.29.4")], false, 3, true,
                [new NodeKubelet("w-0", KubernetesVersion.Parse("v1.26.0"), false)]),
        };
        var plan = CampaignPlanner.Plan(Spec(""), fleet);
        var byKey = plan.Clusters.ToDictionary(c => c.Key);
        Assert.Equal(ClusterExclusion.None, byKey["ns/ok"].Exclusion);
        Assert.Equal(ClusterExclusion.Paused, byKey["ns/paused"].Exclusion);
        Assert.Contains("spec.paused", byKey["ns/paused"].Findings[0].Field);
        Assert.Equal(ClusterExclusion.AlreadyAtTarget, byKey["ns/done"].Exclusion);
        Assert.Equal(ClusterExclusion.SingleNodeControlPlane, byKey["ns/single"].Exclusion);
        Assert.Contains("allowSingleNodeControlPlane", byKey["ns/single"].Findings.Single().Fix);
        Assert.Equal(ClusterExclusion.EtcdUnhealthy, byKey["ns/sick"].Exclusion);
        Assert.Equal(ClusterExclusion.VersionSkew, byKey["ns/newer"].Exclusion);
        Assert.Contains(byKey["ns/newer"].Findings, f => f.Code == "VersionDowngrade");
        Assert.Equal(ClusterExclusion.VersionUnknown, byKey["ns/unknown"].Exclusion);
        Assert.Equal(ClusterExclusion.VersionSkew, byKey["ns/old-workers"].Exclusion);
        Assert.Contains(byKey["ns/old-workers"].Findings, f => f.Code == "KubeletTooOld");
        Assert.Equal(["ns/ok"], Assert.Single(plan.Waves).Clusters);
        Assert.Equal(7, plan.Excluded.Count());
    }

    [Fact]
    public void Single_node_control_plane_is_allowed_when_the_spec_accepts_the_risk()
    {
        var plan = CampaignPlanner.Plan(Spec("allowSingleNodeControlPlane: true\n"), [Cluster("ns/single", replicas: 1)]);
        var c = Assert.Single(plan.Clusters);
        Assert.True(c.Included);
        Assert.Contains(c.Findings, f => f.Code == "SingleNodeControlPlane" && !f.IsError);
    }

    [Fact]
    public void Campaign_selector_filters_by_management_namespace_labels_and_names()
    {
        var fleet = new[]
        {
            Cluster("eu/prod/a", labels: ("env", "prod")),
            Cluster("eu/prod/b", labels: ("env", "dev")),
            Cluster("us/prod/c", labels: ("env", "prod")),
            Cluster("eu/test/d", labels: ("env", "prod")),
        };
        var plan = CampaignPlanner.Plan(Spec("selector: {managementClusters: [eu], namespaces: [prod], labelSelector: env=prod}\n"), fleet);
        Assert.Equal(["eu/prod/a"], plan.Waves[0].Clusters);
        Assert.Single(plan.Clusters); // unselected clusters are not reported at all
    }

    [Fact]
    public void Wave_selectors_take_from_the_remaining_clusters_in_order()
    {
        var fleet = new[]
        {
            Cluster("ns/a", labels: ("ring", "canary")),
            Cluster("ns/b"),
            Cluster("ns/c", labels: ("ring", "canary")),
            Cluster("ns/d"),
            Cluster("ns/e"),
        };
        var plan = CampaignPlanner.Plan(Spec("""
            waves:
              - {name: canary, selector: {labelSelector: ring=canary}}
              - {name: some, percentage: 50%}
              - {name: rest}
            """), fleet);
        Assert.Equal(["ns/a", "ns/c"], plan.Waves[0].Clusters);
        Assert.Equal(["ns/b", "ns/d"], plan.Waves[1].Clusters); // 50% of 3, rounded up
        Assert.Equal(["ns/e"], plan.Waves[2].Clusters);
    }

    [Fact]
    public void Clusters_no_wave_takes_are_reported()
    {
        var plan = CampaignPlanner.Plan(Spec("waves: [{count: 1}]\n"), [Cluster("ns/a"), Cluster("ns/b")]);
        var left = plan.Clusters.Single(c => c.Key == "ns/b");
        Assert.Equal(ClusterExclusion.NotInAnyWave, left.Exclusion);
        Assert.Contains(plan.Findings, f => f.Code == "NotInAnyWave" && f.Fix.Contains("last wave"));
    }

    [Fact]
    public void Percent_concurrency_rounds_up_and_is_at_least_one()
    {
        var fleet = Enumerable.Range(1, 5).Select(i => Cluster($"ns/c{i}")).ToList();
        var plan = CampaignPlanner.Plan(Spec("waves: [{maxConcurrent: 30%}]\n"), fleet);
        Assert.Equal(2, plan.Waves[0].MaxConcurrent);
        var one = CampaignPlanner.Plan(Spec("waves: [{maxConcurrent: 1%}]\n"), fleet.Take(1));
        Assert.Equal(1, one.Waves[0].MaxConcurrent);
    }

    [Fact]
    public void Percent_failure_budget_rounds_down_over_the_clusters_in_waves()
    {
        var fleet = Enumerable.Range(1, 10).Select(i => Cluster($"ns/c{i}")).Append(Cluster("ns/paused", paused: true)).ToList();
        Assert.Equal(2, CampaignPlanner.Plan(Spec("failureBudget: 25%\n"), fleet).FailureBudget);
    }

    [Fact]
    public void Maintenance_window_from_the_label_overrides_the_spec_and_a_bad_label_excludes()
    {
        var fleet = new[]
        {
            Cluster("ns/a"),
            Cluster("ns/b", labels: ("capi-upgrade.io/maintenance-window", "sat_sun.00-24")),
            Cluster("ns/c", labels: ("capi-upgrade.io/maintenance-window", "whenever")),
        };
        var plan = CampaignPlanner.Plan(Spec("maintenanceWindow: mon-fri.22-06\n"), fleet);
        var byKey = plan.Clusters.ToDictionary(c => c.Key);
        Assert.Equal("mon_tue_wed_thu_fri.22-06", byKey["ns/a"].MaintenanceWindow);
        Assert.Equal("sat_sun.00-24", byKey["ns/b"].MaintenanceWindow);
        Assert.Equal(ClusterExclusion.InvalidMaintenanceWindow, byKey["ns/c"].Exclusion);
        Assert.Contains("kubectl label cluster -n ns c", byKey["ns/c"].Findings[0].Fix);
    }

    [Fact]
    public void Chains_are_planned_per_cluster_with_the_listed_versions()
    {
        var plan = CampaignPlanner.Plan(Spec("availableVersions: [v1.29.10]\n"), [Cluster("ns/a", version: "v1.28.3")]);
        Assert.Equal(2, plan.Clusters.Single().Hops);
        Assert.DoesNotContain(plan.Findings, f => f.Code == "IntermediateVersionDefaulted");
    }

    [Fact]
    public void No_selected_cluster_is_a_warning_not_an_error()
    {
        var plan = CampaignPlanner.Plan(Spec("selector: {namespaces: [nowhere]}\n"), [Cluster("ns/a")]);
        Assert.Contains(plan.Findings, f => f.Code == "NoClusterSelected" && !f.IsError);
        Assert.Empty(plan.Waves[0].Clusters);
    }
}
