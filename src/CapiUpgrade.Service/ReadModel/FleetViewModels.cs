namespace CapiUpgrade.Service.ReadModel;

/// <summary>Who did what to an upgrade or campaign, and when (pause, resume, approve, abort, retry, skip).</summary>
public sealed record OperatorAction(string Action, string By, DateTimeOffset At, string? Reason);

/// <summary>One journal event as a person reads it; what tail streams.</summary>
public sealed record EventLine(
    DateTimeOffset At,
    string Stream,
    string Key,
    string? UpgradeId,
    string? CampaignId,
    string Type,
    string Text,
    long SequenceNr)
{
    public const string UpgradeStream = "upgrade";
    public const string CampaignStream = "campaign";

    public string Format() => $"{At:HH:mm:ss} {Key}{(UpgradeId is null ? "" : " " + UpgradeId)} {Type}: {Text}";
}

/// <summary>A view that keeps the last events of its journal stream (<see cref="FleetView"/> trims them).</summary>
internal interface IEventLogView<out TSelf>
{
    IReadOnlyList<EventLine> LastEvents { get; }

    /// <summary>This view with one more event: <paramref name="lastEvents"/> as its last events, one more counted, updated at the event's time.</summary>
    TSelf WithEvent(EventLine line, IReadOnlyList<EventLine> lastEvents);
}

/// <summary>One cluster's upgrade, as the read model has it.</summary>
public sealed record UpgradeView : IEventLogView<UpgradeView>
{
    public required string Cluster { get; init; }
    public string? UpgradeId { get; init; }
    public string? CampaignId { get; init; }
    public string Phase { get; init; } = "Unknown";
    public string? Step { get; init; }
    public string? FromVersion { get; init; }
    public string? ToVersion { get; init; }
    /// <summary>e.g. "mixed: v1.29.4 ×2, v1.30.2 ×1" while the control plane is mixed.</summary>
    public string? ControlPlaneVersions { get; init; }
    public IReadOnlyList<string> Hops { get; init; } = [];
    public int MachinesReplaced { get; init; }
    public int? MachinesTotal { get; init; }
    public IReadOnlyList<MachineView> Machines { get; init; } = [];
    public bool MixedVersion { get; init; }
    public string? RequestedBy { get; init; }
    public string? PausedBy { get; init; }
    public string? PauseReason { get; init; }
    public string? Error { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public string? PersistenceId { get; init; }
    public long EventCount { get; init; }
    public IReadOnlyList<OperatorAction> Actions { get; init; } = [];
    public IReadOnlyList<EventLine> LastEvents { get; init; } = [];

    UpgradeView IEventLogView<UpgradeView>.WithEvent(EventLine line, IReadOnlyList<EventLine> lastEvents) =>
        this with { LastEvents = lastEvents, EventCount = EventCount + 1, UpdatedAt = line.At };
}

/// <summary>One old control-plane Machine and its replacement.</summary>
public sealed record MachineView(string OldMachine, string Stage, string? Replacement, string? ReplacementNode);

public sealed record CampaignClusterView(string Cluster, int Wave, string State, string? UpgradeId, string? Reason);

public sealed record CampaignWaveView(int Index, string Name, string State, int Clusters, int MaxConcurrent, bool ApprovalRequired, string? ApprovedBy, DateTimeOffset? SoakUntil);

/// <summary>One campaign, as the read model has it.</summary>
public sealed record CampaignView : IEventLogView<CampaignView>
{
    public required string CampaignId { get; init; }
    public string? Name { get; init; }
    public string Phase { get; init; } = "Unknown";
    public string? TargetVersion { get; init; }
    public int? CurrentWave { get; init; }
    public int FailureCount { get; init; }
    public int? FailureBudget { get; init; }
    public string? PauseReason { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    public IReadOnlyList<CampaignWaveView> Waves { get; init; } = [];
    public IReadOnlyList<CampaignClusterView> Clusters { get; init; } = [];
    public IReadOnlyList<OperatorAction> Actions { get; init; } = [];
    public IReadOnlyList<EventLine> LastEvents { get; init; } = [];
    public long EventCount { get; init; }
    public IReadOnlyList<string> Excluded { get; init; } = [];
    public string? StartedBy { get; init; }

    /// <summary>The campaign's state as the read model folded it (for explanations); not serialized.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public object? State { get; init; }

    CampaignView IEventLogView<CampaignView>.WithEvent(EventLine line, IReadOnlyList<EventLine> lastEvents) =>
        this with { LastEvents = lastEvents, EventCount = EventCount + 1, UpdatedAt = line.At };
}
