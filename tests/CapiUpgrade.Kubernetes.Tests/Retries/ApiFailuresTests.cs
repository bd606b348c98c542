using System.Net;
using CapiUpgrade.Kubernetes.Retries;
using k8s.Autorest;

namespace CapiUpgrade.Kubernetes.Tests.Retries;

public sealed class ApiFailuresTests
{
    internal static HttpOperationException Http(HttpStatusCode status, string body = "", string? retryAfter = null)
    {
        var response = new HttpResponseMessage(status);
        if (retryAfter is not null)
            response.Headers.TryAddWithoutValidation("Retry-After", retryAfter);
        return new HttpOperationException($"status {status}") { Response = new HttpResponseMessageWrapper(response, body) };
    }

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests, true)]
    [InlineData(HttpStatusCode.InternalServerError, true)]
    [InlineData(HttpStatusCode.BadGateway, true)]
    [InlineData(HttpStatusCode.ServiceUnavailable, true)]
    [InlineData(HttpStatusCode.GatewayTimeout, true)]
    [InlineData(HttpStatusCode.Conflict, false)]
    [InlineData(HttpStatusCode.NotFound, false)]
    [InlineData(HttpStatusCode.UnprocessableEntity, false)]
    [InlineData(HttpStatusCode.Forbidden, false)]
    public void Only_overload_and_server_errors_are_transient(HttpStatusCode status, bool transient) =>
        Assert.Equal(transient, ApiFailures.IsTransient(Http(status)));

    [Fact]
    public void Network_errors_are_transient_but_a_callers_cancellation_is_not()
    {
        Assert.True(ApiFailures.IsTransient(new HttpRequestException("connection refused")));
        Assert.True(ApiFailures.IsTransient(new IOException("reset")));
        Assert.True(ApiFailures.IsTransient(new TaskCanceledException("HttpClient timeout")));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.False(ApiFailures.IsTransient(new OperationCanceledException(cts.Token), cts.Token));
    }

    [Fact]
    public void Retry_after_is_read_in_seconds()
    {
        Assert.Equal(TimeSpan.FromSeconds(3), ApiFailures.RetryAfter(Http(HttpStatusCode.TooManyRequests, retryAfter: "3")));
        Assert.Null(ApiFailures.RetryAfter(Http(HttpStatusCode.TooManyRequests)));
    }

    [Fact]
    public void A_conflict_is_described_with_object_reason_and_next_step()
    {
        var e = ApiFailures.Describe(Http(HttpStatusCode.Conflict,
            """{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Conflict","code":409,"message":"the object has been modified"}"""),
            "UPDATE", "Machine default/m-1", "management cluster 'default'");
        Assert.True(e.IsConflict);
        Assert.Contains("Machine default/m-1", e.Message);
        Assert.Contains("the object has been modified", e.Message);
        Assert.Contains("re-read", e.Message);

        var exists = ApiFailures.Describe(Http(HttpStatusCode.Conflict, """{"reason":"AlreadyExists","message":"already exists"}"""), "CREATE", "Machine default/m-1", "x");
        Assert.False(exists.IsConflict);
        Assert.Equal("AlreadyExists", exists.Reason);
    }
}
