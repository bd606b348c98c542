namespace CapiUpgrade.Core.Upgrades;

/// <summary>An event of one cluster's event stream; every event names the upgrade it belongs to.</summary>
public interface IClusterUpgradeEvent : IClusterScoped
{
    string UpgradeId { get; }
    DateTimeOffset At { get; }
}

/// <summary>
/// The journal of a cluster: persisted by the ClusterUpgradeActor, read back by its recovery and, by tag,
/// by read models. Intent (StepStarted) is persisted before a side effect, the outcome after it.
/// </summary>
public static class ClusterUpgradeEvents
{
    public sealed record UpgradeStarted(ClusterKey Cluster, string UpgradeId, string TargetVersion, UpgradeOptions Options, string RequestedBy, DateTimeOffset At) : IClusterUpgradeEvent;

    /// <summary>The hop chain from the observed control-plane version to the target.</summary>
    public sealed record UpgradePlanned(ClusterKey Cluster, string UpgradeId, string FromVersion, IReadOnlyList<string> Hops, DateTimeOffset At) : IClusterUpgradeEvent;

    /// <summary>The Machines one hop replaces, at the stage observed (and the stale etcd members to remove first).</summary>
    public sealed record HopPlanned(ClusterKey Cluster, string UpgradeId, int HopIndex, string Version, IReadOnlyList<MachineReplacement> Machines, IReadOnlyList<string> StaleMembers, DateTimeOffset At) : IClusterUpgradeEvent;

    /// <summary>Intent: the step is about to run its side effect.</summary>
    public sealed record StepStarted(ClusterKey Cluster, string UpgradeId, UpgradeStep Step, string? Machine, int Attempt, DateTimeOffset At) : IClusterUpgradeEvent;

    /// <summary>Outcome: the step's side effect is done. Replacement and Node name what the step created or found.</summary>
    public sealed record StepSucceeded(ClusterKey Cluster, string UpgradeId, UpgradeStep Step, string? Machine, string? Detail, DateTimeOffset At, string? Replacement = null, string? Node = null) : IClusterUpgradeEvent;

    /// <summary>Outcome: the step failed with a transient error; it runs again after a backoff.</summary>
    public sealed record StepFailed(ClusterKey Cluster, string UpgradeId, UpgradeStep Step, string? Machine, string Error, int Attempt, DateTimeOffset At) : IClusterUpgradeEvent;

    /// <summary>The replacement of <paramref name="Machine"/> did not become Ready in time.</summary>
    public sealed record ReplacementFailed(ClusterKey Cluster, string UpgradeId, string Machine, string? Replacement, string Reason, DateTimeOffset At) : IClusterUpgradeEvent;

    /// <summary>Paused by the engine (Step names the step it refused to run) or by a person (Step null).</summary>
    public sealed record UpgradePaused(ClusterKey Cluster, string UpgradeId, string Reason, string By, UpgradeStep? Step, string? Machine, DateTimeOffset At) : IClusterUpgradeEvent;

    public sealed record UpgradeResumed(ClusterKey Cluster, string UpgradeId, string By, DateTimeOffset At) : IClusterUpgradeEvent;

    /// <summary>`retry`: a failed replacement is removed and created again; other pauses resume with a fresh attempt budget.</summary>
    public sealed record RetryRequested(ClusterKey Cluster, string UpgradeId, string By, DateTimeOffset At) : IClusterUpgradeEvent;

    /// <summary>`abort`: finish (or undo) the in-flight replacement, release the claim, stop.</summary>
    public sealed record AbortRequested(ClusterKey Cluster, string UpgradeId, string By, DateTimeOffset At) : IClusterUpgradeEvent;

    /// <summary>Refused before writing anything (claim held by another upgrade, 1-node control plane, skew, ...).</summary>
    public sealed record UpgradeRefused(ClusterKey Cluster, string UpgradeId, string Reason, DateTimeOffset At) : IClusterUpgradeEvent;

    public sealed record UpgradeSucceeded(ClusterKey Cluster, string UpgradeId, string Version, int MachinesReplaced, DateTimeOffset At) : IClusterUpgradeEvent;

    public sealed record UpgradeAborted(ClusterKey Cluster, string UpgradeId, int MachinesReplaced, DateTimeOffset At) : IClusterUpgradeEvent;
}
