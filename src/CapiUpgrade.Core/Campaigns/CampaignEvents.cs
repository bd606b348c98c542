namespace CapiUpgrade.Core.Campaigns;

/// <summary>Something that happened to campaign <see cref="Campaign"/> at <see cref="At"/>. Simple fields only, for the journal.</summary>
public abstract record CampaignEvent(string CampaignId, DateTimeOffset At);

/// <summary>The campaign's journal entries. Apply them with <see cref="CampaignStateMachine.Apply(CampaignState, CampaignEvent)"/>.</summary>
public static class CampaignEvents
{
    /// <summary>What every campaign's journal stream is named by: <c>campaign/</c> and the campaign's name.</summary>
    public const string PersistenceIdPrefix = "campaign/";

    public sealed record WaveDefinition(int Index, string Name, IReadOnlyList<string> Clusters, int MaxConcurrent, TimeSpan Soak, bool RequiresApproval);

    /// <summary>A cluster's maintenance window in <see cref="MaintenanceWindow"/> text form (null: always open).</summary>
    public sealed record ClusterWindow(string Cluster, string? MaintenanceWindow);

    /// <summary>A selected cluster left out by preflight: Reason is a <see cref="ClusterExclusion"/> name.</summary>
    public sealed record ExcludedCluster(string Cluster, string Reason, string Message);

    public sealed record Started(
        string CampaignId, DateTimeOffset At, string By, string TargetVersion, int FailureBudget, TimeSpan? ClusterTimeout,
        IReadOnlyList<WaveDefinition> Waves, IReadOnlyList<ClusterWindow> Windows, IReadOnlyList<ExcludedCluster> Excluded)
        : CampaignEvent(CampaignId, At);

    public sealed record WaveApprovalRequested(string CampaignId, DateTimeOffset At, int Wave) : CampaignEvent(CampaignId, At);
    public sealed record WaveApproved(string CampaignId, DateTimeOffset At, int Wave, string By) : CampaignEvent(CampaignId, At);
    public sealed record WaveStarted(string CampaignId, DateTimeOffset At, int Wave) : CampaignEvent(CampaignId, At);

    /// <summary>Decided to start this cluster's upgrade: the service now asks its ClusterUpgradeActor (idempotently, also after recovery).</summary>
    public sealed record ClusterScheduled(string CampaignId, DateTimeOffset At, string Cluster, int Wave) : CampaignEvent(CampaignId, At);

    public sealed record ClusterUpgradeStarted(string CampaignId, DateTimeOffset At, string Cluster, string UpgradeId) : CampaignEvent(CampaignId, At);
    public sealed record ClusterSucceeded(string CampaignId, DateTimeOffset At, string Cluster) : CampaignEvent(CampaignId, At);
    public sealed record ClusterFailed(string CampaignId, DateTimeOffset At, string Cluster, string Reason) : CampaignEvent(CampaignId, At);
    public sealed record ClusterTimedOut(string CampaignId, DateTimeOffset At, string Cluster, string Reason) : CampaignEvent(CampaignId, At);
    public sealed record ClusterSkipped(string CampaignId, DateTimeOffset At, string Cluster, string By) : CampaignEvent(CampaignId, At);

    /// <summary>No cluster of the wave is pending or in flight; the soak runs until <see cref="SoakUntil"/>.</summary>
    public sealed record WaveCompleted(string CampaignId, DateTimeOffset At, int Wave, DateTimeOffset SoakUntil) : CampaignEvent(CampaignId, At);

    public sealed record WaveSoakSkipped(string CampaignId, DateTimeOffset At, int Wave, string By) : CampaignEvent(CampaignId, At);

    /// <summary>The soak is over: the campaign moves to the next wave.</summary>
    public sealed record WaveFinished(string CampaignId, DateTimeOffset At, int Wave) : CampaignEvent(CampaignId, At);

    /// <summary>Paused by an operator, or automatically (failure budget exceeded) with the reason.</summary>
    public sealed record Paused(string CampaignId, DateTimeOffset At, string By, string Reason, bool Automatic) : CampaignEvent(CampaignId, At);

    /// <summary>Resumed; failures up to <see cref="AcceptedFailures"/> no longer count against the budget.</summary>
    public sealed record Resumed(string CampaignId, DateTimeOffset At, string By, int AcceptedFailures) : CampaignEvent(CampaignId, At);

    public sealed record Aborted(string CampaignId, DateTimeOffset At, string By, string Reason) : CampaignEvent(CampaignId, At);
    public sealed record Completed(string CampaignId, DateTimeOffset At) : CampaignEvent(CampaignId, At);
}
