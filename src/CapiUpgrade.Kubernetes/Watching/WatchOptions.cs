namespace CapiUpgrade.Kubernetes.Watching;

/// <summary>Tunables of shared watches.</summary>
public sealed record WatchOptions
{
    /// <summary>Server-side timeout asked for each watch request; the watch is then resumed from the last resourceVersion.</summary>
    public TimeSpan WatchTimeout { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>First delay before re-opening a watch that failed (doubles up to <see cref="MaxReconnectDelay"/>, reset on success).</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(100);
    /// <summary>Upper bound of the reconnect delay.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a workload cluster's Node/Pod watches keep running after their last subscriber left, so that the
    /// next wait of the same upgrade (e.g. the next Machine) reuses them instead of listing again. Zero stops at once.
    /// </summary>
    public TimeSpan WorkloadWatchLinger { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Defaults.</summary>
    public static WatchOptions Default { get; } = new();
}
