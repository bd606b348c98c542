namespace CapiUpgrade.Core.Campaigns;

/// <summary>
/// The outcome of a command: the events to persist (possibly none: the command changed nothing), or a rejection
/// a person can read (what is wrong and what to do). A rejected command has no events.
/// </summary>
public sealed record CampaignDecision(IReadOnlyList<CampaignEvent> Events, string? Rejection)
{
    public bool IsRejected => Rejection is not null;

    public static CampaignDecision Accept(IReadOnlyList<CampaignEvent> events) => new(events, null);
    public static CampaignDecision Reject(string reason) => new([], reason);
    public static CampaignDecision Nothing { get; } = new([], null);
}
