using CapiUpgrade.Core.Campaigns;

namespace CapiUpgrade.Core.Tests.Campaigns;

/// <summary>The documented example must stay valid: it is read from the README itself.</summary>
public class CampaignReadmeTests
{
    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CapiUpgrade.Actors.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException($"no CapiUpgrade.Actors.sln above {AppContext.BaseDirectory}");
    }

    [Fact]
    public void The_readme_example_parses_and_plans()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "CapiUpgrade.Core", "Campaigns", "README.md"));
        var start = readme.IndexOf("```yaml\n", StringComparison.Ordinal) + "```yaml\n".Length;
        var end = readme.IndexOf("```", start, StringComparison.Ordinal);
        var spec = CampaignSpecParser.Parse(readme[start..end], "README.md");
        Assert.Equal("june-1-30", spec.Name);
        Assert.Equal(3, spec.Waves.Count);
        Assert.True(spec.Waves[1].RequiresApproval);

        var fleet = new[]
        {
            CampaignPlannerTests.Cluster("prod-a/c1", labels: [("env", "prod"), ("ring", "canary")]),
            CampaignPlannerTests.Cluster("prod-a/c2", labels: ("env", "prod")),
            CampaignPlannerTests.Cluster("eu/prod-b/c3", labels: ("env", "prod")),
            CampaignPlannerTests.Cluster("us/prod-b/c4", labels: ("env", "prod")),
        };
        var plan = CampaignPlanner.Plan(spec with { Selector = spec.Selector with { Names = [] } }, fleet);
        Assert.Equal(["prod-a/c1"], plan.Waves[0].Clusters);
        Assert.Equal(["eu/prod-b/c3"], plan.Waves[1].Clusters);
        Assert.Equal(["prod-a/c2"], plan.Waves[2].Clusters);
    }
}
