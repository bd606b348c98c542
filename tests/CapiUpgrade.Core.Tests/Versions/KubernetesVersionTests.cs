using CapiUpgrade.Core.Versions;

namespace CapiUpgrade.Core.Tests.Versions;

public class KubernetesVersionTests
{
    [Theory]
    [InlineData("v1.30.2", 1, 30, 2)]
    [InlineData("1.30.2", 1, 30, 2)]
    [InlineData(" v1.29.10 ", 1, 29, 10)]
    [InlineData("V1.0.0", 1, 0, 0)]
    public void Parses_release_versions(string text, int major, int minor, int patch)
    {
        var v = KubernetesVersion.Parse(text);
        Assert.Equal(new KubernetesVersion(major, minor, patch), v);
    }

    [Theory]
    [InlineData("v1.31.0-rc.1", "pre-release")]
    [InlineData("1.30.0-alpha.0", "pre-release")]
    [InlineData("v1.30.2+k3s1", "build metadata")]
    [InlineData("v1.30", "not a full version")]
    [InlineData("v1.30.2.1", "not a full version")]
    [InlineData("v1.x.2", "not a number")]
    [InlineData("v1.030.2", "leading zero")]
    [InlineData("", "empty")]
    [InlineData(null, "empty")]
    [InlineData("latest", "not a full version")]
    public void Refuses_non_release_versions_with_a_clear_message(string? text, string expected)
    {
        Assert.False(KubernetesVersion.TryParse(text, out _, out var error));
        Assert.Contains(expected, error);
        Assert.Contains("v1.30.2", error); // says what a valid one looks like
        var e = Assert.Throws<FormatException>(() => KubernetesVersion.Parse(text));
        Assert.Equal(error, e.Message);
    }

    [Fact]
    public void Formats_with_the_v_prefix()
    {
        Assert.Equal("v1.30.2", KubernetesVersion.Parse("1.30.2").ToString());
        Assert.Equal("1.30.2", KubernetesVersion.Parse("v1.30.2").ToStringWithoutPrefix());
        Assert.Equal("1.30", KubernetesVersion.Parse("v1.30.2").MinorString);
    }

    [Fact]
    public void Orders_by_major_minor_patch_numerically()
    {
        var sorted = new[] { "v1.30.10", "v1.9.0", "v1.30.2", "v2.0.0", "v1.29.4" }
            .Select(KubernetesVersion.Parse).OrderBy(v => v).Select(v => v.ToString()).ToArray();
        Assert.Equal(["v1.9.0", "v1.29.4", "v1.30.2", "v1.30.10", "v2.0.0"], sorted);
        Assert.True(KubernetesVersion.Parse("v1.30.2") > KubernetesVersion.Parse("v1.29.99"));
        Assert.True(KubernetesVersion.Parse("v1.30.2") <= KubernetesVersion.Parse("1.30.2"));
        Assert.Equal(KubernetesVersion.Parse("v1.30.2"), KubernetesVersion.Parse("1.30.2"));
    }

    [Fact]
    public void Available_versions_pick_the_highest_patch_per_minor_and_default_to_dot_zero()
    {
        var available = AvailableVersions.Parse("v1.29.10, 1.29.2 v1.30.6");
        Assert.Equal((KubernetesVersion.Parse("v1.29.10"), true), available.ForMinor(1, 29));
        Assert.Equal((KubernetesVersion.Parse("v1.30.6"), true), available.ForMinor(1, 30));
        Assert.Equal((KubernetesVersion.Parse("v1.31.0"), false), available.ForMinor(1, 31));
        Assert.Throws<FormatException>(() => AvailableVersions.Parse("v1.29.1, v1.30.0-rc.0"));
    }
}

public class KubernetesVersionJsonTests
{
    [Fact]
    public void Serializes_as_the_version_string_and_back()
    {
        var v = KubernetesVersion.Parse("1.30.2");
        Assert.Equal("\"v1.30.2\"", System.Text.Json.JsonSerializer.Serialize(v));
        Assert.Equal(v, System.Text.Json.JsonSerializer.Deserialize<KubernetesVersion>("\"1.30.2\""));
        Assert.Throws<System.Text.Json.JsonException>(() => System.Text.Json.JsonSerializer.Deserialize<KubernetesVersion>("\"v1.30.2-rc.0\""));
    }

    [Fact]
    public void A_campaign_plan_serializes_readably()
    {
        var spec = CapiUpgrade.Core.Campaigns.CampaignSpecParser.Parse("name: c\ntargetVersion: v1.30.2\n");
        var plan = CapiUpgrade.Core.Campaigns.CampaignPlanner.Plan(spec, [CapiUpgrade.Core.Tests.Campaigns.CampaignPlannerTests.Cluster("ns/a", paused: true)]);
        var json = System.Text.Json.JsonSerializer.Serialize(plan);
        Assert.Contains("\"TargetVersion\":\"v1.30.2\"", json);
        Assert.Contains("\"Exclusion\":\"Paused\"", json);
        Assert.Contains("\"Severity\":\"Warning\"", json);
    }
}
