using CapiUpgrade.Simulator.Observer;

namespace CapiUpgrade.Simulator.Tests.Observer;

public sealed class StaleMemberRuleTests
{
    private static readonly DateTimeOffset ViewTakenAt = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_member_whose_Machine_was_seen_after_the_etcd_view_was_read_is_not_stale()
    {
        // The engine released the old Machine right after removing its member; the observer's etcd view is older
        // than the Machine's last sighting, so the member's presence in it is no violation.
        var lastSeen = new Dictionary<string, DateTimeOffset> { ["cp-0"] = ViewTakenAt.AddMilliseconds(40) };

        var stale = InvariantObserver.StaleMembers(["cp-0"], lastSeen, ViewTakenAt);

        Assert.Empty(stale);
    }

    [Fact]
    public void A_member_still_listed_in_a_view_read_after_its_Machine_was_last_seen_is_stale()
    {
        var lastSeen = new Dictionary<string, DateTimeOffset> { ["cp-0"] = ViewTakenAt.AddMilliseconds(-40) };

        var stale = InvariantObserver.StaleMembers(["cp-0"], lastSeen, ViewTakenAt);

        Assert.Equal(["cp-0"], stale);
    }

    [Fact]
    public void A_member_that_never_had_a_Machine_is_stale()
    {
        var lastSeen = new Dictionary<string, DateTimeOffset> { ["cp-1"] = ViewTakenAt.AddSeconds(1) };

        var stale = InvariantObserver.StaleMembers(["cp-1", "ghost"], lastSeen, ViewTakenAt);

        Assert.Equal(["ghost"], stale);
    }
}
