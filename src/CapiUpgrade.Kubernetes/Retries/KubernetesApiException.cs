using System.Net;

namespace CapiUpgrade.Kubernetes.Retries;

/// <summary>
/// A Kubernetes API call that failed for good (after retries, or not retryable). The message names the
/// verb, the object, the server's reason and what to do next.
/// </summary>
public sealed class KubernetesApiException : Exception
{
    /// <summary>Creates the exception.</summary>
    public KubernetesApiException(string message, HttpStatusCode? statusCode, string? reason, Exception? inner = null)
        : base(message, inner)
    {
        StatusCode = statusCode;
        Reason = reason;
    }

    /// <summary>HTTP status, null for network failures.</summary>
    public HttpStatusCode? StatusCode { get; }
    /// <summary>The Status object's <c>reason</c> (e.g. Conflict, AlreadyExists, NotFound, Gone, Invalid).</summary>
    public string? Reason { get; }
    /// <summary>409 with reason Conflict: a stale resourceVersion.</summary>
    public bool IsConflict => StatusCode == HttpStatusCode.Conflict && !string.Equals(Reason, "AlreadyExists", StringComparison.Ordinal);
    /// <summary>404.</summary>
    public bool IsNotFound => StatusCode == HttpStatusCode.NotFound;
    /// <summary>410 Gone (a watch's resourceVersion is too old).</summary>
    public bool IsGone => StatusCode == HttpStatusCode.Gone;
}
