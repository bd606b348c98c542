namespace CapiUpgrade.Core.Campaigns;

/// <summary>Something asked of a campaign at instant <see cref="At"/> (time is always explicit: the domain reads no clock).</summary>
public abstract record CampaignCommand(DateTimeOffset At);

/// <summary>
/// What can be asked of a campaign: by the operator (Start, Pause, Resume, Abort, Approve, SkipCluster, SkipSoak),
/// by the cluster upgrades it started (ClusterStarted/Succeeded/Failed/TimedOut), or by a timer (Tick).
/// </summary>
public static class CampaignCommands
{
    /// <summary>Start with a plan from <see cref="CampaignPlanner.Plan"/>.</summary>
    public sealed record Start(CampaignPlan Plan, string By, DateTimeOffset At) : CampaignCommand(At);

    /// <summary>The cluster's upgrade was handed to its ClusterUpgradeActor (acknowledges a ClusterScheduled; also a retry of a failed one).</summary>
    public sealed record ClusterStarted(string Cluster, string UpgradeId, DateTimeOffset At) : CampaignCommand(At);

    public sealed record ClusterSucceeded(string Cluster, DateTimeOffset At) : CampaignCommand(At);

    /// <summary>The upgrade paused on a failed step (counts against the failure budget).</summary>
    public sealed record ClusterFailed(string Cluster, string Reason, DateTimeOffset At) : CampaignCommand(At);

    /// <summary>The upgrade took too long (counts against the failure budget).</summary>
    public sealed record ClusterTimedOut(string Cluster, DateTimeOffset At) : CampaignCommand(At);

    public sealed record Pause(string By, string Reason, DateTimeOffset At) : CampaignCommand(At);

    /// <summary>Resume. With <see cref="AcceptFailures"/> the failures so far are accepted and only new ones count against the budget.</summary>
    public sealed record Resume(string By, DateTimeOffset At, bool AcceptFailures = false) : CampaignCommand(At);

    /// <summary>Stop starting upgrades for good; in-flight upgrades are the service's to abort.</summary>
    public sealed record Abort(string By, string Reason, DateTimeOffset At) : CampaignCommand(At);

    /// <summary>Approve the wave that waits for approval, or (with <see cref="Wave"/>) a later wave in advance.</summary>
    public sealed record Approve(string By, DateTimeOffset At, int? Wave = null) : CampaignCommand(At);

    /// <summary>Leave a pending, failed or timed-out cluster out; a skipped failure no longer counts against the budget.</summary>
    public sealed record SkipCluster(string Cluster, string By, DateTimeOffset At) : CampaignCommand(At);

    /// <summary>End the current wave's soak now.</summary>
    public sealed record SkipSoak(string By, DateTimeOffset At) : CampaignCommand(At);

    /// <summary>Time passed: start what may start, end soaks, time out overdue clusters.</summary>
    public sealed record Tick(DateTimeOffset At) : CampaignCommand(At);
}
