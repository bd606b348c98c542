namespace CapiUpgrade.Service.Campaigns;

/// <summary>Marker of every event a CampaignActor persists; carries the campaign id.</summary>
public interface ICampaignEvent
{
    string CampaignId { get; }
    DateTimeOffset At { get; }
}

public static class CampaignTags
{
    /// <summary>Every event of every campaign.</summary>
    public const string All = "campaign";
}
