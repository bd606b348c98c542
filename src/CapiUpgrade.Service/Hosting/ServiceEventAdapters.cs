using Akka.Persistence.Hosting;
using Akka.Persistence.Journal;
using CapiUpgrade.Actors.Protocol;
using CapiUpgrade.Core.Campaigns;
using CapiUpgrade.Core.Upgrades;
using CapiUpgrade.Service.Campaigns;

namespace CapiUpgrade.Service.Hosting;

/// <summary>Write event adapters that tag events for the read model (cluster upgrades, campaigns).</summary>
public static class ServiceEventAdapters
{
    public static void Register(AkkaPersistenceJournalBuilder journal)
    {
        journal.AddWriteEventAdapter<ReadModelTagger>("capi-upgrade-read-model-tagger", [typeof(IClusterUpgradeEvent), typeof(CampaignEvent)]);
    }
}

/// <summary>
/// Tags cluster-upgrade events with <see cref="ClusterUpgradeTags.All"/> and their upgrade id, and
/// campaign events with <see cref="CampaignTags.All"/>.
/// </summary>
public sealed class ReadModelTagger : IWriteEventAdapter
{
    public string Manifest(object evt) => string.Empty;

    public object ToJournal(object evt) => evt switch
    {
        IClusterUpgradeEvent e => new Tagged(evt, [ClusterUpgradeTags.All, ClusterUpgradeTags.ForUpgrade(e.UpgradeId)]),
        CampaignEvent => new Tagged(evt, [CampaignTags.All]),
        _ => evt,
    };
}
