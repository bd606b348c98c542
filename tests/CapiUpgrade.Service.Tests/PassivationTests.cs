using Akka.Actor;
using Akka.Cluster.Sharding;
using CapiUpgrade.Actors.Protocol;
using CapiUpgrade.Core.Upgrades;

namespace CapiUpgrade.Service.Tests;

/// <summary>
/// A finished upgrade's sharded actor leaves memory and the remembered entities: a service that has run many
/// campaigns does not keep every upgrade it ever ran in memory, nor recover all of them at each start (a
/// restart with one finished 500-cluster campaign in the journal recovered 500 actors at once, 154 of them
/// timing out). The journal keeps the upgrade; a command brings its actor back.
/// </summary>
public sealed class PassivationTests
{
    private const string PassivateQuickly = "capi-upgrade.service.upgrades.passivate-finished-after = 1s";

    private static async Task<bool> IsRunningAsync(RunningService service, ClusterKey cluster)
    {
        var state = await (await service.UpgradeRegionAsync()).Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(10));
        return state.Shards.Any(s => s.EntityIds.Contains(cluster.EntityId));
    }

    [Fact]
    public async Task A_finished_upgrade_leaves_memory_is_not_restarted_with_the_service_and_comes_back_on_demand()
    {
        var directory = Path.Combine(Path.GetTempPath(), "capi-upgrade-service-tests", Guid.NewGuid().ToString("N"));
        var cluster = new ClusterKey("fleet", "c1");
        await using (var service = await RunningService.StartAsync(directory: directory, hocon: PassivateQuickly))
        {
            await service.StartUpgradeAsync(cluster, "u-1");
            // No management cluster: the preflight pauses it. Paused is not finished: it waits for a person, in memory.
            await Eventually.TrueAsync(async () => (await service.CliAsync("upgrade", "list")).Out.Contains("Paused"), TimeSpan.FromSeconds(30), "the upgrade paused");
            var pausedSince = DateTime.UtcNow;
            while (DateTime.UtcNow - pausedSince < TimeSpan.FromSeconds(3))
            {
                Assert.True(await IsRunningAsync(service, cluster), "a paused upgrade's actor stays");
                await Task.Delay(500);
            }

            Assert.Equal(0, (await service.CliAsync("upgrade", "abort", "fleet/c1")).Code);
            await Eventually.TrueAsync(async () => !await IsRunningAsync(service, cluster), TimeSpan.FromSeconds(30), "the aborted upgrade's actor passivated");
            Assert.Contains("leaves memory", service.Logs.All);
        }

        await using (var restarted = await RunningService.StartAsync(directory: directory, hocon: PassivateQuickly))
        {
            // The read model still shows it; its actor is not among the remembered entities started with the shards.
            await Eventually.TrueAsync(async () => (await restarted.CliAsync("upgrade", "list")).Out.Contains("Aborted"), TimeSpan.FromSeconds(30), "upgrade list shows the aborted upgrade");
            var startedSince = DateTime.UtcNow;
            while (DateTime.UtcNow - startedSince < TimeSpan.FromSeconds(3))
            {
                Assert.False(await IsRunningAsync(restarted, cluster), "a finished upgrade is not restarted with the service");
                await Task.Delay(250);
            }

            // A command brings it back from the journal, as it was.
            var status = await (await restarted.UpgradeRegionAsync()).Ask<ClusterUpgradeReplies.UpgradeStatus>(new ClusterUpgradeCommands.GetUpgradeStatus(cluster), TimeSpan.FromSeconds(30));
            Assert.Equal("u-1", status.UpgradeId);
            Assert.Equal(UpgradePhase.Aborted, status.Phase);
            Assert.True(await IsRunningAsync(restarted, cluster));
        }
    }
}
