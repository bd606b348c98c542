using CapiUpgrade.Core.Upgrades;
using Microsoft.Data.Sqlite;

namespace CapiUpgrade.Service.Tests;

/// <summary>
/// The service's events are tagged for read models in their journal rows (`;cluster-upgrade;fleet;`, `;campaign;fleet;`, in any order), not
/// in a tag table: with the SQL plugin every journal read scanned the tag table once per row read, so reads grew
/// with the square of the history. A journal an earlier version created without the tags column is migrated at
/// the next start, its events tagged, and the read model still shows everything.
/// </summary>
public sealed class JournalTagTests
{
    /// <summary>The first column of the first row <paramref name="sql"/> returns from the journal file.</summary>
    private static object? Query(string db, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={db};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static long Scalar(string db, string sql) => Convert.ToInt64(Query(db, sql), System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Events_are_tagged_in_their_rows_and_an_earlier_journal_without_the_column_is_migrated_at_the_next_start()
    {
        var directory = Path.Combine(Path.GetTempPath(), "capi-upgrade-service-tests", Guid.NewGuid().ToString("N"));
        var db = Path.Combine(directory, "journal.db");
        var cluster = new ClusterKey("fleet", "c1");
        await using (var service = await RunningService.StartAsync(directory: directory))
        {
            await service.StartUpgradeAsync(cluster, "u-1");
            await Eventually.TrueAsync(async () => (await service.CliAsync("upgrade", "list")).Out.Contains("Paused"), TimeSpan.FromSeconds(30), "the read model shows the paused upgrade");
        }
        var upgradeEvents = Scalar(db, "SELECT count(*) FROM journal WHERE persistence_id = 'cluster-upgrade/fleet/c1'");
        Assert.True(upgradeEvents > 0);
        Assert.Equal(upgradeEvents, Scalar(db, "SELECT count(*) FROM journal WHERE persistence_id = 'cluster-upgrade/fleet/c1' AND tags LIKE '%;cluster-upgrade;%' AND tags LIKE '%;fleet;%'"));
        Assert.Equal(0, Scalar(db, "SELECT count(*) FROM journal WHERE persistence_id NOT LIKE 'cluster-upgrade/%' AND persistence_id NOT LIKE 'campaign/%' AND tags <> ''"));

        // As an earlier version left its journal: no tags column.
        Query(db, "ALTER TABLE journal DROP COLUMN tags");

        await using (var restarted = await RunningService.StartAsync(directory: directory))
        {
            await Eventually.TrueAsync(async () => (await restarted.CliAsync("upgrade", "show", "fleet/c1")).Out.Contains("u-1"), TimeSpan.FromSeconds(30), "the restarted read model shows the upgrade");
        }
        Assert.Equal(Scalar(db, "SELECT count(*) FROM journal WHERE persistence_id = 'cluster-upgrade/fleet/c1'"),
            Scalar(db, "SELECT count(*) FROM journal WHERE persistence_id = 'cluster-upgrade/fleet/c1' AND tags LIKE '%;cluster-upgrade;%' AND tags LIKE '%;fleet;%'"));
        Assert.True(Scalar(db, "SELECT count(*) FROM journal WHERE persistence_id = 'cluster-upgrade/fleet/c1'") >= upgradeEvents);
    }
}
