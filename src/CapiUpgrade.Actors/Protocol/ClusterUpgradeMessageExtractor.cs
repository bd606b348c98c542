using Akka.Cluster.Sharding;
using CapiUpgrade.Core.Upgrades;

namespace CapiUpgrade.Actors.Protocol;

/// <summary>Routes <see cref="IClusterScoped"/> messages to the shard entity named by the cluster's entity id.</summary>
public sealed class ClusterUpgradeMessageExtractor : HashCodeMessageExtractor
{
    public ClusterUpgradeMessageExtractor(int maxShards = 100) : base(maxShards) { }

    public override string? EntityId(object message) => message switch
    {
        IClusterScoped scoped => scoped.Cluster.EntityId,
        _ => null,
    };
}
