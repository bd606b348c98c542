namespace CapiUpgrade.Kubernetes.Retries;

/// <summary>
/// Explicit retry budget for API and etcd calls: exponential backoff with full jitter from
/// <see cref="InitialDelay"/> up to <see cref="MaxDelay"/>, at most <see cref="MaxAttempts"/> attempts
/// (the first call included). A 429's Retry-After is honoured (capped at <see cref="MaxRetryAfter"/>).
/// </summary>
public sealed record RetryOptions
{
    /// <summary>Attempts in total, first call included. 1 disables retries.</summary>
    public int MaxAttempts { get; init; } = 8;
    /// <summary>Backoff before the second attempt.</summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(50);
    /// <summary>Upper bound of one backoff.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Growth factor of the backoff per attempt.</summary>
    public double Multiplier { get; init; } = 2.0;
    /// <summary>Upper bound for a server's Retry-After.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Attempts of a read-modify-write on 409 Conflict (each a fresh GET + PUT).</summary>
    public int MaxConflictAttempts { get; init; } = 10;

    /// <summary>Defaults for Kubernetes API calls.</summary>
    public static RetryOptions KubernetesDefault { get; } = new();

    /// <summary>
    /// Defaults for etcd membership calls: "unhealthy cluster" right after a start or a leader change lasts
    /// ~5 s, so the budget spans ~30 s.
    /// </summary>
    public static RetryOptions EtcdDefault { get; } = new()
    {
        MaxAttempts = 20,
        InitialDelay = TimeSpan.FromMilliseconds(200),
        MaxDelay = TimeSpan.FromSeconds(2),
    };

    /// <summary>No retries (tests of failure paths).</summary>
    public static RetryOptions None { get; } = new() { MaxAttempts = 1, MaxConflictAttempts = 1 };

    /// <summary>The backoff before attempt <paramref name="attempt"/> + 1 (attempt counted from 1), without jitter.</summary>
    public TimeSpan BackoffAfter(int attempt)
    {
        var ms = InitialDelay.TotalMilliseconds * Math.Pow(Multiplier, Math.Max(0, attempt - 1));
        return TimeSpan.FromMilliseconds(Math.Min(ms, MaxDelay.TotalMilliseconds));
    }
}
