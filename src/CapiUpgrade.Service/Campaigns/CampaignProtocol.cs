using CapiUpgrade.Core.Campaigns;

namespace CapiUpgrade.Service.Campaigns;

/// <summary>A message for one campaign's CampaignActor; the shard extractor routes it by <see cref="CampaignId"/>.</summary>
public interface ICampaignMessage
{
    string CampaignId { get; }
}

/// <summary>What the command endpoint sends to a CampaignActor. Answered with <see cref="CampaignReplies"/>.</summary>
public static class CampaignProtocol
{
    public sealed record StartCampaign(string CampaignId, CampaignPlan Plan, string By) : ICampaignMessage;
    public sealed record PauseCampaign(string CampaignId, string By, string Reason) : ICampaignMessage;
    public sealed record ResumeCampaign(string CampaignId, string By, bool AcceptFailures) : ICampaignMessage;
    public sealed record AbortCampaign(string CampaignId, string By, string Reason) : ICampaignMessage;
    public sealed record ApproveWave(string CampaignId, string By, int? Wave) : ICampaignMessage;
    public sealed record SkipCluster(string CampaignId, string Cluster, string By) : ICampaignMessage;
    public sealed record SkipSoak(string CampaignId, string By) : ICampaignMessage;
    public sealed record GetCampaign(string CampaignId) : ICampaignMessage;
}

public static class CampaignReplies
{
    public sealed record Accepted(string CampaignId, string Message);
    public sealed record Rejected(string CampaignId, string Reason);
    public sealed record Current(CampaignState State);
}
