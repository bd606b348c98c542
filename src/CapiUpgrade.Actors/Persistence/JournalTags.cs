using CapiUpgrade.Core.Campaigns;
using CapiUpgrade.Core.Upgrades;

namespace CapiUpgrade.Actors.Persistence;

/// <summary>
/// The tags read models find events by (Akka.Persistence.Query's <c>EventsByTag</c>): every upgrade event is
/// tagged <see cref="ClusterUpgrade"/>, every campaign event <see cref="Campaign"/>, and both <see cref="Fleet"/>,
/// the stream the service's fleet view folds in journal order. They are kept in the journal row itself (the
/// plugin's CSV tag mode: <c>;cluster-upgrade;fleet;</c>, in either order, in the <c>tags</c> column), not in a tag
/// table.
/// </summary>
public static class JournalTags
{
    public const string ClusterUpgrade = "cluster-upgrade";
    public const string Campaign = "campaign";

    /// <summary>Every upgrade and campaign event, in one ordered stream: what a view of the whole fleet folds.</summary>
    public const string Fleet = "fleet";

    private static readonly string[] UpgradeTags = [ClusterUpgrade, Fleet];
    private static readonly string[] CampaignTags = [Campaign, Fleet];

    /// <summary>The tags of an event (empty for anything else), as <see cref="JournalTagger"/> writes them.</summary>
    public static IReadOnlyList<string> Of(object evt) => evt switch
    {
        IClusterUpgradeEvent => UpgradeTags,
        CampaignEvent => CampaignTags,
        _ => [],
    };

    /// <summary>The persistence id prefix whose events carry <paramref name="Tags"/> (for tagging rows an earlier version left untagged).</summary>
    internal static IReadOnlyList<(string PersistenceIdPrefix, IReadOnlyList<string> Tags)> ByPersistenceId { get; } =
        [(Core.Upgrades.ClusterKey.PersistenceIdPrefix, UpgradeTags), (CampaignEvents.PersistenceIdPrefix, CampaignTags)];
}
