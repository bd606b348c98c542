using Akka.Actor;
using CapiUpgrade.Actors.Protocol;
using CapiUpgrade.Core.Upgrades;
using Microsoft.Data.Sqlite;

namespace CapiUpgrade.Service.Tests;

/// <summary>
/// A journal that writes slowly (a long queue of writes under load; here another writer holding SQLite's write
/// lock) delays an upgrade's start; it must not lose it. Cluster sharding remembers each started entity in the
/// journal first, and by Akka's defaults gives that write 2 s before it restarts the shard — dropping the
/// messages it held for the entity, so the start was answered by no one and a campaign retried it minutes later.
/// </summary>
public sealed class BusyJournalTests
{
    [Fact]
    public async Task An_upgrade_started_while_the_journal_is_busy_for_seconds_is_accepted_once_it_writes_again()
    {
        await using var service = await RunningService.StartAsync();
        var region = await service.UpgradeRegionAsync();
        // A first upgrade brings the shard up (the coordinator's own write for a new shard is retried by it);
        // the second, in the same shard, is the one the shard must remember while the journal is busy.
        var extractor = new ClusterUpgradeMessageExtractor(service.Host.Options.Hocon.GetInt("capi-upgrade.service.cluster.shard-count"));
        var first = new ClusterKey("fleet", "first");
        var busy = Enumerable.Range(0, 10_000).Select(i => new ClusterKey("fleet", $"busy-{i}"))
            .First(k => extractor.ShardId(k.EntityId) == extractor.ShardId(first.EntityId));
        Assert.IsType<ClusterUpgradeReplies.CommandAccepted>(await region.Ask<object>(Start(first, "u-first"), TimeSpan.FromSeconds(30)));
        await using var other = new SqliteConnection($"Data Source={Path.Combine(service.Directory, "journal.db")};Pooling=False");
        await other.OpenAsync();
        await using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE;";
            await begin.ExecuteNonQueryAsync();
        }

        var start = region.Ask<object>(Start(busy, "u-busy"), TimeSpan.FromSeconds(30));
        await Task.Delay(TimeSpan.FromSeconds(6));
        Assert.False(start.IsCompleted, "the start was answered while the journal could not be written");
        await using (var rollback = other.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK;";
            await rollback.ExecuteNonQueryAsync();
        }

        Assert.IsType<ClusterUpgradeReplies.CommandAccepted>(await start);
        await Eventually.TrueAsync(async () => (await service.CliAsync("upgrade", "list")).Out.Contains("u-busy"), TimeSpan.FromSeconds(30), "upgrade list shows the upgrade");
        Assert.DoesNotContain(service.Logs.Lines, m => m.Contains("restarting shard", StringComparison.OrdinalIgnoreCase));
    }

    private static ClusterUpgradeCommands.StartUpgrade Start(ClusterKey cluster, string upgradeId) =>
        new(cluster, upgradeId, "v1.30.2", UpgradeOptions.Default, "test");
}
