namespace CapiUpgrade.Core.Campaigns;

/// <summary>Something that happened to campaign <see cref="Campaign"/> at <see cref="At"/>. Simple fields only, for the journal.</summary>
public abstract record CampaignEvent(string Campaign, DateTimeOffset At);

/// <summary>The campaign's journal entries. Apply them with <see cref="CampaignStateMachine.Apply(CampaignState, CampaignEvent)"/>.</summary>
public static class CampaignEvents
{
    public sealed record WaveDefinition(int Index, string Name, IReadOnlyList<string> Clusters, int MaxConcurrent, TimeSpan Soak, bool RequiresApproval);

    /// <summary>A cluster's maintenance window in <see cref="MaintenanceWindow"/> text form (null: always open).</summary>
    public sealed record ClusterWindow(string Cluster, string? MaintenanceWindow);

    /// <summary>A selected cluster left out by preflight: Reason is a <see cref="ClusterExclusion"/> name.</summary>
    public sealed record ExcludedCluster(string Cluster, string Reason, string Message);

    public sealed record Started(
        string Campaign, DateTimeOffset At, string By, string TargetVersion, int FailureBudget, TimeSpan? ClusterTimeout,
        IReadOnlyList<WaveDefinition> Waves, IReadOnlyList<ClusterWindow> Windows, IReadOnlyList<ExcludedCluster> Excluded)
        : CampaignEvent(Campaign, At);

    public sealed record WaveApprovalRequested(string Campaign, DateTimeOffset At, int Wave) : CampaignEvent(Campaign, At);
    public sealed record WaveApproved(string Campaign, DateTimeOffset At, int Wave, string By) : CampaignEvent(Campaign, At);
    public sealed record WaveStarted(string Campaign, DateTimeOffset At, int Wave) : CampaignEvent(Campaign, At);

    /// <summary>Decided to start this cluster's upgrade: the service now asks its ClusterUpgradeActor (idempotently, also after recovery).</summary>
    public sealed record ClusterScheduled(string Campaign, DateTimeOffset At, string Cluster, int Wave) : CampaignEvent(Campaign, At);

    public sealed record ClusterUpgradeStarted(string Campaign, DateTimeOffset At, string Cluster, string UpgradeId) : CampaignEvent(Campaign, At);
    public sealed record ClusterSucceeded(string Campaign, DateTimeOffset At, string Cluster) : CampaignEvent(Campaign, At);
    public sealed record ClusterFailed(string Campaign, DateTimeOffset At, string Cluster, string Reason) : CampaignEvent(Campaign, At);
    public sealed record ClusterTimedOut(string Campaign, DateTimeOffset At, string Cluster, string Reason) : CampaignEvent(Campaign, At);
    public sealed record ClusterSkipped(string Campaign, DateTimeOffset At, string Cluster, string By) : CampaignEvent(Campaign, At);

    /// <summary>No cluster of the wave is pending or in flight; the soak runs until <see cref="SoakUntil"/>.</summary>
    public sealed record WaveCompleted(string Campaign, DateTimeOffset At, int Wave, DateTimeOffset SoakUntil) : CampaignEvent(Campaign, At);

    public sealed record WaveSoakSkipped(string Campaign, DateTimeOffset At, int Wave, string By) : CampaignEvent(Campaign, At);

    /// <summary>The soak is over: the campaign moves to the next wave.</summary>
    public sealed record WaveFinished(string Campaign, DateTimeOffset At, int Wave) : CampaignEvent(Campaign, At);

    /// <summary>Paused by an operator, or automatically (failure budget exceeded) with the reason.</summary>
    public sealed record Paused(string Campaign, DateTimeOffset At, string By, string Reason, bool Automatic) : CampaignEvent(Campaign, At);

    /// <summary>Resumed; failures up to <see cref="AcceptedFailures"/> no longer count against the budget.</summary>
    public sealed record Resumed(string Campaign, DateTimeOffset At, string By, int AcceptedFailures) : CampaignEvent(Campaign, At);

    public sealed record Aborted(string Campaign, DateTimeOffset At, string By, string Reason) : CampaignEvent(Campaign, At);
    public sealed record Completed(string Campaign, DateTimeOffset At) : CampaignEvent(Campaign, At);
}
