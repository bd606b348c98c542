using CapiUpgrade.Service.ReadModel;

namespace CapiUpgrade.Service.Tests;

/// <summary>The read model's retry of a broken journal query: quiet quick retries, then a doubling wait that starts over once the query works again.</summary>
public sealed class ProjectionRetryTests
{
    [Fact]
    public void The_first_failures_are_retried_quickly_and_quietly_then_the_wait_doubles_to_ten_seconds_with_a_warning()
    {
        var retry = new ProjectionRetry();
        var waits = Enumerable.Range(0, 12).Select(_ => retry.Failed()).ToList();

        Assert.All(waits.Take(ProjectionRetry.QuietRetries), w => Assert.Equal((ProjectionRetry.QuickRetry, false), w));
        Assert.Equal([500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000], waits.Skip(ProjectionRetry.QuietRetries).Select(w => w.Wait.TotalMilliseconds));
        Assert.All(waits.Skip(ProjectionRetry.QuietRetries), w => Assert.True(w.Warn));
        Assert.Equal(12, retry.Failures);
    }

    [Fact]
    public void A_query_that_folded_events_since_its_last_failure_starts_over()
    {
        var retry = new ProjectionRetry();
        for (var i = 0; i < 10; i++) retry.Failed();
        Assert.Equal(TimeSpan.FromSeconds(10), retry.Failed().Wait);

        retry.Folded();
        var next = retry.Failed();

        Assert.Equal((ProjectionRetry.QuickRetry, false), next);
        Assert.Equal(1, retry.Failures);
    }

    [Fact]
    public void Failures_without_an_event_folded_in_between_keep_counting()
    {
        var retry = new ProjectionRetry();
        retry.Folded();
        for (var i = 0; i < ProjectionRetry.QuietRetries; i++) retry.Failed();

        var sixth = retry.Failed();

        Assert.Equal((ProjectionRetry.FirstBackoff, true), sixth);
        Assert.Equal(ProjectionRetry.QuietRetries + 1, retry.Failures);
    }
}
