using CapiUpgrade.Core.Campaigns;

namespace CapiUpgrade.Core.Tests.Campaigns;

public class SelectorAndWindowTests
{
    private static readonly Dictionary<string, string> Labels = new() { ["env"] = "prod", ["tier"] = "b", ["ring"] = "canary" };

    [Theory]
    [InlineData("", true)]
    [InlineData("env=prod", true)]
    [InlineData("env==prod", true)]
    [InlineData("env!=prod", false)]
    [InlineData("env=dev", false)]
    [InlineData("tier in (a, b)", true)]
    [InlineData("tier notin (a,b)", false)]
    [InlineData("ring", true)]
    [InlineData("!ring", false)]
    [InlineData("!legacy", true)]
    [InlineData("missing!=x", true)]
    [InlineData("env=prod, tier in (b), !legacy", true)]
    [InlineData("env=prod,ring=prod", false)]
    public void Label_selectors_match_like_kubernetes(string selector, bool matches) =>
        Assert.Equal(matches, LabelSelector.Parse(selector).Matches(Labels));

    [Theory]
    [InlineData("env=prod,", "missing after ','")]
    [InlineData("env in prod", "expected '('")]
    [InlineData("env in (a", "missing ')'")]
    [InlineData("env ~ x", "expected '=', '!=', 'in' or 'notin'")]
    [InlineData("env in ()", "at least one value")]
    public void Bad_label_selectors_say_where(string selector, string problem)
    {
        var e = Assert.Throws<FormatException>(() => LabelSelector.Parse(selector));
        Assert.Contains(problem, e.Message);
        Assert.Contains("character", e.Message);
    }

    [Fact]
    public void Cluster_selector_combines_criteria()
    {
        var key = new ClusterKey("eu", "prod-a", "c1");
        Assert.True(ClusterSelector.Everything.Matches(key, Labels));
        Assert.True(new ClusterSelector(["eu"], ["prod-a"], LabelSelector.Parse("env=prod"), ["c1"]).Matches(key, Labels));
        Assert.False(new ClusterSelector(["default"], [], LabelSelector.Everything, []).Matches(key, Labels));
        Assert.False(new ClusterSelector([], ["prod-b"], LabelSelector.Everything, []).Matches(key, Labels));
        Assert.True(new ClusterSelector([], [], LabelSelector.Everything, ["prod-a/c1"]).Matches(key, Labels));
        Assert.True(new ClusterSelector([], [], LabelSelector.Everything, ["eu/prod-a/c1"]).Matches(key, Labels));
        Assert.False(new ClusterSelector([], [], LabelSelector.Everything, ["default/prod-a/c1"]).Matches(key, Labels));
    }

    [Fact]
    public void Cluster_keys_parse_and_format_with_the_default_management_left_out()
    {
        Assert.Equal(new ClusterKey("default", "ns", "c"), ClusterKey.Parse("ns/c"));
        Assert.Equal("ns/c", ClusterKey.Parse("default/ns/c").ToString());
        Assert.Equal("eu/ns/c", ClusterKey.Parse("eu/ns/c").ToString());
        Assert.False(ClusterKey.TryParse("c", out _));
        Assert.False(ClusterKey.TryParse("a//c", out _));
        Assert.Throws<FormatException>(() => ClusterKey.Parse("a/b/c/d"));
    }

    private static DateTimeOffset Utc(int year, int month, int day, int hour) => new(year, month, day, hour, 0, 0, TimeSpan.Zero);

    [Theory]
    // 2026-06-01 is a Monday
    [InlineData("mon-fri.22-06", 2026, 6, 1, 22, true)]
    [InlineData("mon-fri.22-06", 2026, 6, 1, 21, false)]
    [InlineData("mon-fri.22-06", 2026, 6, 2, 5, true)]   // Tuesday 05:00, opened Monday
    [InlineData("mon-fri.22-06", 2026, 6, 1, 5, false)]  // Monday 05:00: Sunday did not open one
    [InlineData("mon-fri.22-06", 2026, 6, 6, 3, true)]   // Saturday 03:00, opened Friday
    [InlineData("mon-fri.22-06", 2026, 6, 6, 22, false)] // Saturday evening
    [InlineData("sat_sun.00-24", 2026, 6, 6, 12, true)]
    [InlineData("sat_sun.00-24", 2026, 6, 5, 23, false)]
    [InlineData("tue_thu.01-05", 2026, 6, 4, 4, true)]
    [InlineData("tue_thu.01-05", 2026, 6, 4, 5, false)]
    [InlineData("always", 2026, 6, 4, 5, true)]
    [InlineData("fri-mon.10-12", 2026, 6, 7, 11, true)]  // range wrapping the week: Sunday
    [InlineData("fri-mon.10-12", 2026, 6, 3, 11, false)] // Wednesday
    public void Maintenance_windows_in_utc(string window, int y, int m, int d, int h, bool open) =>
        Assert.Equal(open, MaintenanceWindow.Parse(window).IsOpen(Utc(y, m, d, h)));

    [Fact]
    public void Windows_use_utc_whatever_the_offset_of_now()
    {
        var w = MaintenanceWindow.Parse("mon.22-23");
        var mondayTenPmUtc = new DateTimeOffset(2026, 6, 2, 0, 30, 0, TimeSpan.FromHours(2)); // = Mon 22:30 UTC
        Assert.True(w.IsOpen(mondayTenPmUtc));
    }

    [Theory]
    [InlineData("weekdays", "no '.'")]
    [InlineData("mon-fri.22", "not start-end")]
    [InlineData("mon-fri.25-06", "not start-end")]
    [InlineData("funday.01-02", "not a day")]
    [InlineData("", "empty")]
    public void Bad_windows_say_what_a_good_one_looks_like(string text, string problem)
    {
        Assert.False(MaintenanceWindow.TryParse(text, out _, out var error));
        Assert.Contains(problem, error);
        Assert.Contains("mon-fri.22-06", error);
    }

    [Fact]
    public void Next_opening()
    {
        var w = MaintenanceWindow.Parse("mon-fri.22-06");
        Assert.Equal(Utc(2026, 6, 1, 22), w.NextOpening(Utc(2026, 6, 1, 12)));
        Assert.Equal(Utc(2026, 6, 8, 22), w.NextOpening(Utc(2026, 6, 6, 12))); // Saturday -> Monday
        var now = Utc(2026, 6, 1, 23);
        Assert.Equal(now, w.NextOpening(now));
    }

    [Theory]
    [InlineData("30m", 1800)]
    [InlineData("1h30m", 5400)]
    [InlineData("90s", 90)]
    [InlineData("2d", 172800)]
    [InlineData("0", 0)]
    [InlineData("0s", 0)]
    [InlineData("1.5h", 5400)]
    public void Durations(string text, int seconds)
    {
        Assert.True(GoDuration.TryParse(text, out var d));
        Assert.Equal(TimeSpan.FromSeconds(seconds), d);
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("-1h")]
    [InlineData("10")]
    [InlineData("1h 30m")]
    public void Bad_durations(string text) => Assert.False(GoDuration.TryParse(text, out _));

    [Fact]
    public void Quantities()
    {
        Assert.Equal(Quantity.Percent(25), Quantity.TryParse("25%"));
        Assert.Equal(Quantity.Count(3), Quantity.TryParse("3"));
        Assert.Null(Quantity.TryParse("x%"));
        Assert.Equal(2, Quantity.Percent(10).ResolveCeiling(11));
        Assert.Equal(1, Quantity.Percent(10).ResolveFloor(11));
        Assert.Equal(0, Quantity.Percent(10).ResolveFloor(6));
        Assert.Equal(4, Quantity.Count(4).ResolveCeiling(100));
    }
}
