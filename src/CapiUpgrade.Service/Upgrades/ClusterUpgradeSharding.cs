using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using CapiUpgrade.Actors.ClusterUpgrade;
using CapiUpgrade.Actors.Execution;
using CapiUpgrade.Actors.Protocol;
using CapiUpgrade.Core.Upgrades;

namespace CapiUpgrade.Service.Upgrades;

public static class ClusterUpgradeSharding
{
    public const string TypeName = "cluster-upgrade";

    /// <summary>
    /// Remember entities in the journal (eventsourced), coordinator state in distributed data kept in
    /// memory: a restart in any working directory resumes every remembered entity.
    /// </summary>
    public static ShardOptions Options() => new()
    {
        RememberEntities = true,
        RememberEntitiesStore = RememberEntitiesStore.Eventsourced,
        StateStoreMode = StateStoreMode.DData,
    };

    /// <summary>The engine's ClusterUpgradeActor (behind its backoff supervisor) as a sharded entity keyed by the cluster's entity id.</summary>
    public static AkkaConfigurationBuilder WithClusterUpgradeShards(this AkkaConfigurationBuilder akka, IStepExecutorFactory executors, EngineSettings settings, int shardCount) =>
        akka.WithShardRegion<ClusterUpgradeRegion>(TypeName,
            entityId => ClusterUpgradeActor.SupervisedProps(ClusterKey.Parse(entityId), executors, settings),
            new ClusterUpgradeMessageExtractor(shardCount),
            Options());
}

/// <summary>
/// Used when the service has no way to act on clusters (no --kubeconfig): every step pauses the
/// upgrade with a reason saying so, nothing is touched.
/// </summary>
public sealed class NoManagementClusterExecutors : IStepExecutorFactory
{
    public IStepExecutor For(ClusterKey cluster) => new Executor(cluster);

    private sealed class Executor(ClusterKey cluster) : IStepExecutor
    {
        public Task<StepOutcome> ExecuteAsync(StepRequest request, CancellationToken cancellationToken) =>
            Task.FromResult<StepOutcome>(new StepOutcome.Blocked(
                $"the service has no management cluster named '{cluster.Management ?? ClusterKey.DefaultManagement}': restart `capi-upgrade serve` with --kubeconfig {(cluster.IsDefaultManagement ? "" : cluster.Management + "=")}FILE, then `upgrade resume {cluster.EntityId}`"));
    }
}
