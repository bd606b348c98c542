using CapiUpgrade.Core.Upgrades;
using Microsoft.Data.Sqlite;

namespace CapiUpgrade.Service.Tests;

/// <summary>
/// Events go to the journal untagged and the read model reads the whole journal in order: with the SQL plugin
/// every journal read scanned the tag table once per row read, so reads grew with the square of the history.
/// A journal an earlier version tagged has its tag rows set aside (renamed, kept) at the next start.
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
    public async Task Events_are_not_tagged_and_an_earlier_versions_tag_rows_are_set_aside_at_the_next_start()
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
        Assert.Equal(0, Scalar(db, "SELECT count(*) FROM tags"));

        // As a version that tagged events left it: every event with a tag row.
        Scalar(db, "INSERT INTO tags (ordering_id, tag, sequence_nr, persistence_id) SELECT ordering, 'cluster-upgrade', sequence_number, persistence_id FROM journal; SELECT changes()");
        var tagRows = Scalar(db, "SELECT count(*) FROM tags");
        Assert.True(tagRows >= upgradeEvents);

        await using (var restarted = await RunningService.StartAsync(directory: directory))
        {
            await Eventually.TrueAsync(async () => (await restarted.CliAsync("upgrade", "show", "fleet/c1")).Out.Contains("u-1"), TimeSpan.FromSeconds(30), "the restarted read model shows the upgrade");
        }
        Assert.Equal(0, Scalar(db, "SELECT count(*) FROM tags"));
        var aside = Assert.IsType<string>(Query(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'tags_set_aside_%'"));
        Assert.StartsWith("tags_set_aside_", aside);
        Assert.Equal(tagRows, Scalar(db, $"SELECT count(*) FROM {aside}"));
    }
}
