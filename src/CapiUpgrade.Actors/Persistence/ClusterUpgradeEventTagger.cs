using Akka.Persistence.Journal;
using CapiUpgrade.Actors.Protocol;
using CapiUpgrade.Core.Upgrades;

namespace CapiUpgrade.Actors.Persistence;

/// <summary>Tags every cluster-upgrade event with `cluster-upgrade` and `upgrade:&lt;id&gt;` for read models.</summary>
public sealed class ClusterUpgradeEventTagger : IWriteEventAdapter
{
    public string Manifest(object evt) => string.Empty;

    public object ToJournal(object evt) => evt switch
    {
        IClusterUpgradeEvent e => new Tagged(e, new[] { ClusterUpgradeTags.All, ClusterUpgradeTags.ForUpgrade(e.UpgradeId) }),
        _ => evt,
    };
}
