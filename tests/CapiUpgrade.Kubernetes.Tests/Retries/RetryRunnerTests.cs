using System.Net;
using CapiUpgrade.Kubernetes.Retries;

namespace CapiUpgrade.Kubernetes.Tests.Retries;

public sealed class RetryRunnerTests
{
    private static readonly RetryOptions Fast = new() { MaxAttempts = 4, InitialDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5) };

    [Fact]
    public async Task Transient_failures_are_retried_until_success()
    {
        var attempts = 0;
        var result = await RetryRunner.ForKubernetes(Fast).RunAsync(_ =>
        {
            attempts++;
            return attempts < 3 ? throw ApiFailuresTests.Http(HttpStatusCode.ServiceUnavailable) : Task.FromResult("ok");
        }, CancellationToken.None);
        Assert.Equal("ok", result);
        Assert.Equal(3, attempts);
    }

    [Fact]
    public async Task The_budget_is_explicit_and_the_last_failure_surfaces()
    {
        var attempts = 0;
        await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => RetryRunner.ForKubernetes(Fast).RunAsync<int>(_ =>
        {
            attempts++;
            throw ApiFailuresTests.Http(HttpStatusCode.InternalServerError);
        }, CancellationToken.None));
        Assert.Equal(4, attempts);
    }

    [Fact]
    public async Task Conflicts_and_client_errors_are_not_retried()
    {
        var attempts = 0;
        await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => RetryRunner.ForKubernetes(Fast).RunAsync<int>(_ =>
        {
            attempts++;
            throw ApiFailuresTests.Http(HttpStatusCode.Conflict);
        }, CancellationToken.None));
        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task A_429_waits_for_the_servers_retry_after()
    {
        var stamps = new List<DateTime>();
        await RetryRunner.ForKubernetes(Fast).RunAsync(_ =>
        {
            stamps.Add(DateTime.UtcNow);
            return stamps.Count == 1 ? throw ApiFailuresTests.Http(HttpStatusCode.TooManyRequests, retryAfter: "1") : Task.FromResult(0);
        }, CancellationToken.None);
        Assert.Equal(2, stamps.Count);
        Assert.True(stamps[1] - stamps[0] >= TimeSpan.FromMilliseconds(900), $"waited only {(stamps[1] - stamps[0]).TotalMilliseconds} ms");
    }

    [Fact]
    public void Backoff_grows_exponentially_up_to_the_cap()
    {
        var options = new RetryOptions { InitialDelay = TimeSpan.FromMilliseconds(100), Multiplier = 2, MaxDelay = TimeSpan.FromMilliseconds(350) };
        Assert.Equal(TimeSpan.FromMilliseconds(100), options.BackoffAfter(1));
        Assert.Equal(TimeSpan.FromMilliseconds(200), options.BackoffAfter(2));
        Assert.Equal(TimeSpan.FromMilliseconds(350), options.BackoffAfter(3));
    }
}
