namespace CapiUpgrade.Actors.Protocol;

/// <summary>
/// Tags the write event adapter puts on every ClusterUpgradeActor event, for read models
/// (`EventsByTag`). Events themselves are <see cref="CapiUpgrade.Core.Upgrades.ClusterUpgradeEvents"/>.
/// </summary>
public static class ClusterUpgradeTags
{
    /// <summary>Every event of every cluster upgrade.</summary>
    public const string All = "cluster-upgrade";

    /// <summary>Every event of one upgrade id.</summary>
    public static string ForUpgrade(string upgradeId) => "upgrade:" + upgradeId;
}
