using CapiUpgrade.Core.Naming;
using CapiUpgrade.Core.Versions;

namespace CapiUpgrade.Core.Tests.Naming;

public class NamingTests
{
    private static readonly KubernetesVersion Target = KubernetesVersion.Parse("v1.30.2");

    [Fact]
    public void Upgrade_id_is_stable_short_and_dns_safe()
    {
        var id = UpgradeId.Derive("default", "cluster-1", Target);
        Assert.Equal(id, UpgradeId.Derive("default", "cluster-1", Target));
        Assert.Matches("^u-[0-9a-f]{8}$", id);
        Assert.True(Dns1123.IsLabel(id));
    }

    [Fact]
    public void Upgrade_id_differs_by_cluster_namespace_target_and_management()
    {
        var ids = new[]
        {
            UpgradeId.Derive("default", "cluster-1", Target),
            UpgradeId.Derive("default", "cluster-2", Target),
            UpgradeId.Derive("other", "cluster-1", Target),
            UpgradeId.Derive("default", "cluster-1", KubernetesVersion.Parse("v1.30.3")),
            UpgradeId.Derive("default", "cluster-1", Target, "mgmt-b"),
        };
        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.Equal(ids[0], UpgradeId.Derive("default", "cluster-1", Target, "default"));
    }

    [Theory]
    [InlineData("u-1a2b3c4d", true)]
    [InlineData("june-cp-upgrade", true)]
    [InlineData("Upper", false)]
    [InlineData("-lead", false)]
    [InlineData("has.dot", false)]
    [InlineData("", false)]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false)] // 33 characters
    public void Operator_upgrade_ids_are_validated(string id, bool valid)
    {
        var finding = UpgradeId.Validate(id);
        Assert.Equal(valid, finding is null);
        if (!valid) Assert.Contains("--upgrade-id", finding!.Message);
    }

    [Fact]
    public void Replacement_name_is_base_dash_upgrade_id()
    {
        Assert.Equal("cp-0-u-1a2b3c4d", ReplacementName.For("cp-0", "u-1a2b3c4d"));
    }

    [Fact]
    public void Chain_hops_get_distinct_names_that_do_not_grow()
    {
        var final = KubernetesVersion.Parse("v1.31.2");
        var hop1 = ReplacementName.For("cp-0", "u-1a2b3c4d", KubernetesVersion.Parse("v1.29.0"), final);
        var hop2 = ReplacementName.For(hop1, "u-1a2b3c4d", KubernetesVersion.Parse("v1.30.0"), final);
        var hop3 = ReplacementName.For(hop2, "u-1a2b3c4d", final, final);
        Assert.Equal("cp-0-u-1a2b3c4d-1-29", hop1);
        Assert.Equal("cp-0-u-1a2b3c4d-1-30", hop2);
        Assert.Equal("cp-0-u-1a2b3c4d", hop3);
        Assert.True(ReplacementName.IsReplacementOf(hop2, "u-1a2b3c4d"));
        Assert.False(ReplacementName.IsReplacementOf("cp-0", "u-1a2b3c4d"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(40)]
    [InlineData(52)]
    [InlineData(53)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(200)]
    [InlineData(253)]
    public void Replacement_name_is_always_a_valid_name_of_at_most_63_characters(int length)
    {
        var old = new string('a', length);
        var name = ReplacementName.For(old, "u-1a2b3c4d");
        Assert.True(name.Length <= 63, name);
        Assert.True(Dns1123.IsSubdomain(name), name);
        Assert.EndsWith("-u-1a2b3c4d", name);
        Assert.Equal(name, ReplacementName.For(old, "u-1a2b3c4d")); // deterministic
    }

    [Fact]
    public void Long_names_that_share_a_prefix_stay_distinct()
    {
        var prefix = new string('m', 60);
        var a = ReplacementName.For(prefix + "-control-plane-aaaa", "u-1a2b3c4d");
        var b = ReplacementName.For(prefix + "-control-plane-bbbb", "u-1a2b3c4d");
        Assert.NotEqual(a, b);
        Assert.All(new[] { a, b }, n => Assert.True(n.Length <= 63 && Dns1123.IsSubdomain(n)));
    }

    [Theory]
    [InlineData("My_Machine.Name")]
    [InlineData("cp.0")]
    [InlineData("--weird--")]
    [InlineData("x..y")]
    public void Odd_characters_still_give_a_valid_name(string old)
    {
        var name = ReplacementName.For(old, "u-1a2b3c4d");
        Assert.True(name.Length <= 63 && Dns1123.IsSubdomain(name), name);
    }

    [Fact]
    public void A_long_operator_id_is_still_honoured_within_63_characters()
    {
        var id = new string('z', 32);
        var name = ReplacementName.For(new string('c', 60), id);
        Assert.True(name.Length <= 63 && Dns1123.IsSubdomain(name), name);
        Assert.EndsWith(id, name);
    }

    [Theory]
    [InlineData("abc", true)]
    [InlineData("a-b.c-d", true)]
    [InlineData("A", false)]
    [InlineData("a_b", false)]
    [InlineData("-a", false)]
    [InlineData("a.", false)]
    public void Subdomain_rules(string s, bool valid) => Assert.Equal(valid, Dns1123.IsSubdomain(s));
}
