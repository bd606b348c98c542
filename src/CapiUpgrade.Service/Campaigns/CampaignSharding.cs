using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using CapiUpgrade.Service.Upgrades;

namespace CapiUpgrade.Service.Campaigns;

/// <summary>Marker for the campaign shard region in the actor registry.</summary>
public sealed class CampaignRegion;

public sealed class CampaignMessageExtractor(int maxShards) : HashCodeMessageExtractor(maxShards)
{
    public override string? EntityId(object message) => (message as ICampaignMessage)?.CampaignId;
}

public static class CampaignSharding
{
    public const string TypeName = "campaign";

    /// <param name="passivateFinishedAfter">How long a finished campaign's actor stays without a message before it leaves memory (null: never).</param>
    public static AkkaConfigurationBuilder WithCampaignShards(this AkkaConfigurationBuilder akka, TimeSpan tickInterval, Core.Upgrades.UpgradeOptions upgradeOptions, int shardCount,
        TimeSpan? passivateFinishedAfter = null) =>
        akka.WithShardRegion<CampaignRegion>(TypeName,
            (system, registry) => campaignId => CampaignActor.Props(campaignId, registry.Get<ClusterUpgradeRegion>(), tickInterval, upgradeOptions, passivateFinishedAfter),
            new CampaignMessageExtractor(shardCount),
            ClusterUpgradeSharding.Options());
}
