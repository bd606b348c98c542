using System.Text.Json.Serialization;
using System.Collections.Immutable;

namespace CapiUpgrade.Core.Campaigns;

[JsonConverter(typeof(JsonStringEnumConverter<CampaignStatus>))]
public enum CampaignStatus
{
    NotStarted,
    Running,
    Paused,
    Completed,
    Aborted,
}

[JsonConverter(typeof(JsonStringEnumConverter<WavePhase>))]
public enum WavePhase
{
    Pending,
    AwaitingApproval,
    Running,
    Soaking,
    Finished,
}

[JsonConverter(typeof(JsonStringEnumConverter<ClusterStatus>))]
public enum ClusterStatus
{
    Pending,
    /// <summary>Decided to start; the service has not confirmed the upgrade was handed over yet. Counts as in flight.</summary>
    Scheduled,
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Skipped,
}

public sealed record ClusterProgress(
    string Cluster,
    int Wave,
    ClusterStatus Status,
    string? MaintenanceWindow,
    string? UpgradeId = null,
    DateTimeOffset? ScheduledAt = null,
    DateTimeOffset? StartedAt = null,
    DateTimeOffset? FinishedAt = null,
    string? FailureReason = null,
    string? SkippedBy = null)
{
    public bool InFlight => Status is ClusterStatus.Scheduled or ClusterStatus.Running;
    public bool CountsAsFailure => Status is ClusterStatus.Failed or ClusterStatus.TimedOut;
}

public sealed record WaveState(
    int Index,
    string Name,
    ImmutableList<string> Clusters,
    int MaxConcurrent,
    TimeSpan Soak,
    bool RequiresApproval,
    WavePhase Phase = WavePhase.Pending,
    bool Approved = false,
    string? ApprovedBy = null,
    DateTimeOffset? StartedAt = null,
    DateTimeOffset? CompletedAt = null,
    DateTimeOffset? SoakUntil = null);

/// <summary>A campaign's state, rebuilt from its events by <see cref="CampaignStateMachine.Apply(CampaignState, CampaignEvent)"/>.</summary>
public sealed record CampaignState(
    string CampaignId,
    CampaignStatus Status,
    string? TargetVersion,
    ImmutableList<WaveState> Waves,
    ImmutableDictionary<string, ClusterProgress> Clusters,
    ImmutableList<CampaignEvents.ExcludedCluster> Excluded,
    int FailureBudget,
    int AcceptedFailures,
    TimeSpan? ClusterTimeout,
    int CurrentWave,
    string? PauseReason = null,
    string? PausedBy = null,
    bool PausedAutomatically = false,
    string? StartedBy = null,
    DateTimeOffset? StartedAt = null,
    DateTimeOffset? FinishedAt = null,
    string? AbortReason = null,
    string? AbortedBy = null)
{
    public static CampaignState Initial(string campaign) =>
        new(campaign, CampaignStatus.NotStarted, null, [], ImmutableDictionary<string, ClusterProgress>.Empty, [], 0, 0, null, 0);

    /// <summary>Clusters that failed or timed out (and were not skipped or later succeeded).</summary>
    public int Failures => Clusters.Values.Count(c => c.CountsAsFailure);

    /// <summary>Failures that count against the budget (those accepted by a resume do not).</summary>
    public int CountedFailures => Math.Max(0, Failures - AcceptedFailures);

    public bool BudgetExceeded => CountedFailures > FailureBudget;

    public WaveState? Wave => CurrentWave < Waves.Count ? Waves[CurrentWave] : null;

    public bool IsFinished => Status is CampaignStatus.Completed or CampaignStatus.Aborted;

    public IEnumerable<ClusterProgress> InFlight => Clusters.Values.Where(c => c.InFlight);

    public int Count(ClusterStatus status) => Clusters.Values.Count(c => c.Status == status);
}
