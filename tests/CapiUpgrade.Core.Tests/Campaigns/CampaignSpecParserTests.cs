using CapiUpgrade.Core.Campaigns;
using CapiUpgrade.Core.Errors;
using CapiUpgrade.Core.Versions;

namespace CapiUpgrade.Core.Tests.Campaigns;

public class CampaignSpecParserTests
{
    public const string FullExample = """
        apiVersion: capi-upgrade.io/v1alpha1
        kind: Campaign
        name: june-1-30
        targetVersion: v1.30.2
        availableVersions: [v1.29.10]
        selector:
          managementClusters: [default, eu]
          namespaces: [prod-a, prod-b]
          labelSelector: "env=prod,tier!=legacy"
        waves:
          - name: canary
            selector:
              labelSelector: "ring=canary"
            maxConcurrent: 1
            soak: 30m
          - name: ten-percent
            percentage: 10%
            maxConcurrent: 50%
            soak: 1h
            approval: true
          - name: rest
            maxConcurrent: 5
            approval: true
        failureBudget: 2
        maintenanceWindow: mon-fri.22-06
        maintenanceWindowLabel: example.com/maintenance-window
        allowSingleNodeControlPlane: false
        clusterTimeout: 2h
        """;

    [Fact]
    public void Parses_the_full_example()
    {
        var spec = CampaignSpecParser.Parse(FullExample);
        Assert.Equal("june-1-30", spec.Name);
        Assert.Equal(KubernetesVersion.Parse("v1.30.2"), spec.TargetVersion);
        Assert.Equal([KubernetesVersion.Parse("v1.29.10")], spec.AvailableVersions);
        Assert.Equal(["default", "eu"], spec.Selector.ManagementClusters);
        Assert.Equal(["prod-a", "prod-b"], spec.Selector.Namespaces);
        Assert.Equal("env=prod,tier!=legacy", spec.Selector.Labels.ToString());
        Assert.Equal(3, spec.Waves.Count);
        Assert.Equal("canary", spec.Waves[0].Name);
        Assert.Equal("ring=canary", spec.Waves[0].Selector!.Labels.ToString());
        Assert.Equal(TimeSpan.FromMinutes(30), spec.Waves[0].Soak);
        Assert.Equal(Quantity.Percent(10), spec.Waves[1].Size);
        Assert.Equal(Quantity.Percent(50), spec.Waves[1].MaxConcurrent);
        Assert.True(spec.Waves[1].RequiresApproval);
        Assert.Null(spec.Waves[2].Size);
        Assert.Equal(Quantity.Count(5), spec.Waves[2].MaxConcurrent);
        Assert.Equal(Quantity.Count(2), spec.FailureBudget);
        Assert.Equal("mon_tue_wed_thu_fri.22-06", spec.DefaultMaintenanceWindow!.ToString());
        Assert.Equal("example.com/maintenance-window", spec.MaintenanceWindowLabel);
        Assert.Equal(TimeSpan.FromHours(2), spec.ClusterTimeout);
    }

    [Fact]
    public void Minimal_spec_gets_one_wave_of_everything_one_at_a_time_and_a_zero_budget()
    {
        var spec = CampaignSpecParser.Parse("name: c\ntargetVersion: 1.30.2\n");
        var wave = Assert.Single(spec.Waves);
        Assert.Null(wave.Selector);
        Assert.Null(wave.Size);
        Assert.Equal(Quantity.Count(1), wave.MaxConcurrent);
        Assert.Equal(Quantity.Count(0), spec.FailureBudget);
        Assert.Null(spec.DefaultMaintenanceWindow);
        Assert.Equal(CampaignSpec.DefaultMaintenanceWindowLabel, spec.MaintenanceWindowLabel);
        Assert.Same(ClusterSelector.Everything, spec.Selector);
    }

    [Fact]
    public void Structured_label_selector_and_window()
    {
        var spec = CampaignSpecParser.Parse("""
            name: c
            targetVersion: v1.30.2
            selector:
              labelSelector:
                matchLabels: {env: prod}
                matchExpressions:
                  - {key: tier, operator: In, values: [a, b]}
                  - {key: legacy, operator: DoesNotExist}
            maintenanceWindow: {days: [sat, sun], startHour: 1, endHour: 5}
            failureBudget: 10%
            """);
        Assert.Equal("env=prod,tier in (a,b),!legacy", spec.Selector.Labels.ToString());
        Assert.Equal("sat_sun.01-05", spec.DefaultMaintenanceWindow!.ToString());
        Assert.Equal(Quantity.Percent(10), spec.FailureBudget);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_naming_field_and_fix()
    {
        var e = Assert.Throws<ValidationException>(() => CampaignSpecParser.Parse("""
            name: June_Campaign
            targetVersion: v1.31.0-rc.1
            wavs: []
            waves:
              - maxConcurrent: 0
                soak: soon
                count: 2
                percentage: 10%
              - percentage: 150%
                approval: maybe
            failureBudget: lots
            maintenanceWindow: weekdays
            clusterTimeout: -1h
            selector:
              labelSelector: "env in (prod"
            """, "campaign.yaml"));
        var byField = e.Findings.ToDictionary(f => f.Field!, f => f);
        Assert.Contains("lowercase", byField["name"].Fix);
        Assert.Contains("pre-release", byField["targetVersion"].Problem);
        Assert.Equal("UnknownField", byField["wavs"].Code);
        Assert.Contains("waves", byField["wavs"].Fix);
        Assert.Equal("InvalidMaxConcurrent", byField["waves[0].maxConcurrent"].Code);
        Assert.Equal("InvalidDuration", byField["waves[0].soak"].Code);
        Assert.Equal("ConflictingFields", byField["waves[0].count"].Code);
        Assert.Equal("InvalidPercentage", byField["waves[1].percentage"].Code);
        Assert.Equal("InvalidType", byField["waves[1].approval"].Code);
        Assert.Equal("InvalidFailureBudget", byField["failureBudget"].Code);
        Assert.Equal("InvalidMaintenanceWindow", byField["maintenanceWindow"].Code);
        Assert.Equal("InvalidDuration", byField["clusterTimeout"].Code);
        Assert.Equal("InvalidLabelSelector", byField["selector.labelSelector"].Code);
        Assert.All(e.Findings, f => Assert.Contains("campaign.yaml", f.Object));
        Assert.All(e.Findings, f => Assert.False(string.IsNullOrWhiteSpace(f.Fix)));
    }

    [Fact]
    public void Missing_required_fields_are_named()
    {
        var e = Assert.Throws<ValidationException>(() => CampaignSpecParser.Parse("waves: [{}]\n"));
        Assert.Contains(e.Findings, f => f.Field == "name" && f.Code == "MissingField");
        Assert.Contains(e.Findings, f => f.Field == "targetVersion" && f.Fix.Contains("v1.30.2"));
    }

    [Theory]
    [InlineData("name: [a\n", "InvalidYaml")]
    [InlineData("- a\n- b\n", "InvalidCampaign")]
    [InlineData("name: c\ntargetVersion: v1.30.2\nwaves: []\n", "InvalidType")]
    [InlineData("name: c\ntargetVersion: v1.30.2\nwaves: [{name: a}, {name: a}]\n", "DuplicateWave")]
    public void Malformed_documents(string yaml, string code)
    {
        var e = Assert.Throws<ValidationException>(() => CampaignSpecParser.Parse(yaml));
        Assert.Contains(e.Findings, f => f.Code == code);
    }
}
