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

    public static AkkaConfigurationBuilder WithCampaignShards(this AkkaConfigurationBuilder akka, CampaignSettings settings, int shardCount) =>
        akka.WithShardRegion<CampaignRegion>(TypeName,
            (system, registry) => campaignId => CampaignActor.Props(campaignId, registry.Get<ClusterUpgradeRegion>(), settings),
            new CampaignMessageExtractor(shardCount),
            ClusterUpgradeSharding.Options());
}
