using CapiUpgrade.Core.Campaigns;
using CapiUpgrade.Core.Upgrades;

namespace CapiUpgrade.Actors.Persistence;

/// <summary>
/// The tags read models find events by (Akka.Persistence.Query's <c>EventsByTag</c>): every upgrade event is
/// tagged <see cref="ClusterUpgrade"/>, every campaign event <see cref="Campaign"/>. They are kept in the journal
/// row itself (the plugin's CSV tag mode: <c>;cluster-upgrade;</c> in the <c>tags</c> column), not in a tag table.
/// </summary>
public static class JournalTags
{
    public const string ClusterUpgrade = "cluster-upgrade";
    public const string Campaign = "campaign";

    /// <summary>The tag of an event (null for anything else), as <see cref="JournalTagger"/> writes it.</summary>
    public static string? Of(object evt) => evt switch
    {
        IClusterUpgradeEvent => ClusterUpgrade,
        CampaignEvent => Campaign,
        _ => null,
    };

    /// <summary>The persistence id prefix whose events carry <paramref name="tag"/> (for tagging rows an earlier version left untagged).</summary>
    internal static IReadOnlyList<(string PersistenceIdPrefix, string Tag)> ByPersistenceId { get; } =
        [("cluster-upgrade/", ClusterUpgrade), ("campaign/", Campaign)];
}
