using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using k8s.Autorest;

namespace CapiUpgrade.Kubernetes.Retries;

/// <summary>
/// Classifies Kubernetes API failures: which are transient (retry with backoff), how long the server asked
/// to wait, and how to say what failed in words a person can act on.
/// </summary>
public static class ApiFailures
{
    /// <summary>
    /// True for failures worth retrying on any verb: 429 Too Many Requests, 500/502/503/504, network errors
    /// (connection refused/reset, broken stream) and HTTP timeouts that the caller did not ask for.
    /// 409 is never transient here: conflicts are retried only by read-modify-write loops.
    /// </summary>
    public static bool IsTransient(Exception exception, CancellationToken callerToken = default) => exception switch
    {
        HttpOperationException http => IsTransientStatus(http.Response?.StatusCode),
        KubernetesApiException api => api.StatusCode is null ? api.InnerException is not null && IsTransient(api.InnerException, callerToken) : IsTransientStatus(api.StatusCode),
        HttpRequestException => true,
        IOException => true,
        SocketException => true,
        OperationCanceledException => !callerToken.IsCancellationRequested,
        _ => false,
    };

    /// <summary>True for 429, 500, 502, 503 and 504.</summary>
    public static bool IsTransientStatus(HttpStatusCode? status) => status is HttpStatusCode.TooManyRequests
        or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway
        or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    /// <summary>The server's Retry-After (seconds or HTTP date) of a 429/503, if any.</summary>
    public static TimeSpan? RetryAfter(Exception exception)
    {
        if (exception is not HttpOperationException { Response: { } response })
            return null;
        foreach (var (name, values) in response.Headers)
        {
            if (!string.Equals(name, "Retry-After", StringComparison.OrdinalIgnoreCase))
                continue;
            var value = values.FirstOrDefault()?.Trim();
            if (int.TryParse(value, out var seconds))
                return TimeSpan.FromSeconds(Math.Max(0, seconds));
            if (DateTimeOffset.TryParse(value, out var date))
            {
                var wait = date - DateTimeOffset.UtcNow;
                return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
            }
        }
        return null;
    }

    /// <summary>The <c>reason</c> and <c>message</c> of the Status object in an error response, if it has one.</summary>
    public static (string? Reason, string? Message) StatusOf(string? responseBody)
    {
        if (string.IsNullOrWhiteSpace(responseBody))
            return (null, null);
        try
        {
            using var doc = JsonDocument.Parse(responseBody);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return (null, null);
            return (root.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null,
                    root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null);
        }
        catch (JsonException)
        {
            return (null, responseBody.Length > 300 ? responseBody[..300] : responseBody);
        }
    }

    /// <summary>
    /// Wraps a failure of <paramref name="verb"/> on <paramref name="target"/> into a <see cref="KubernetesApiException"/>
    /// whose message names the object, the server's reason and a next step.
    /// </summary>
    public static KubernetesApiException Describe(Exception exception, string verb, string target, string server)
    {
        if (exception is KubernetesApiException already)
            return already;
        if (exception is HttpOperationException http)
        {
            var status = http.Response?.StatusCode;
            var (reason, message) = StatusOf(http.Response?.Content);
            var hint = status switch
            {
                HttpStatusCode.Conflict when reason == "AlreadyExists" => "it already exists; read it instead of creating it",
                HttpStatusCode.Conflict => "it was changed concurrently (stale resourceVersion); re-read it and retry the change",
                HttpStatusCode.NotFound => "it does not exist (or its CRD is not installed)",
                HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized => "the credentials in the kubeconfig are not allowed to do this; check the kubeconfig's user and RBAC",
                HttpStatusCode.UnprocessableEntity or HttpStatusCode.BadRequest => "the server rejected the object's content; fix the field named in the message",
                HttpStatusCode.Gone => "the resourceVersion is too old; re-list",
                _ when IsTransientStatus(status) => "the API server is overloaded or failing; retries were exhausted, try again later",
                _ => "see the server's message",
            };
            return new KubernetesApiException(
                $"{verb} {target} on {server} failed: {(int?)status} {reason ?? status?.ToString()}: {message ?? "(no message)"} — {hint}.",
                status, reason, exception);
        }
        return new KubernetesApiException(
            $"{verb} {target} on {server} failed: {exception.GetType().Name}: {exception.Message} — check that the API server at {server} is reachable.",
            null, null, exception);
    }
}
