using Akka.Configuration;
using CapiUpgrade.Actors.ClusterUpgrade;
using CapiUpgrade.Core.Upgrades;

namespace CapiUpgrade.Service.Campaigns;

/// <summary>The tunables of every <see cref="CampaignActor"/>, from HOCON <c>capi-upgrade.service.campaigns</c>.</summary>
/// <param name="TickInterval">How often a running campaign re-evaluates its waves and polls its in-flight upgrades.</param>
/// <param name="UpgradeOptions">The options of the upgrades a campaign starts (the engine's defaults).</param>
/// <param name="PassivateFinishedAfter">How long a finished campaign's actor stays without a message before it leaves memory (null: never).</param>
/// <param name="SnapshotEvery">A snapshot of the campaign's state after this many events, so a recovery replays at most that many.</param>
public sealed record CampaignSettings(TimeSpan TickInterval, UpgradeOptions UpgradeOptions, TimeSpan? PassivateFinishedAfter = null, int SnapshotEvery = 100)
{
    public static CampaignSettings FromConfig(Config hocon)
    {
        var c = hocon.GetConfig("capi-upgrade.service.campaigns") ?? Config.Empty;
        var every = c.GetInt("snapshot-every", 100);
        if (every < 1)
            throw new ArgumentException($"capi-upgrade.service.campaigns.snapshot-every is {every}: set it to 1 or more (events between snapshots of a campaign's state; default 100)");
        return new CampaignSettings(c.GetTimeSpan("tick-interval", TimeSpan.FromSeconds(2)), EngineSettings.DefaultOptions(hocon),
            c.GetTimeSpan("passivate-finished-after", TimeSpan.FromMinutes(2)), every);
    }
}
