using CapiUpgrade.Actors.Persistence;

namespace CapiUpgrade.Actors.Tests.ClusterUpgrade;

public sealed class SqliteFilesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capi-sqlite-files-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Snapshots_get_their_own_file_beside_the_journal()
    {
        var options = EnginePersistenceOptions.SqliteFile(Path.Combine(_dir, "capi-upgrade.db"));

        EnginePersistenceExtensions.PrepareSqliteFiles(options);

        Assert.Equal(Path.Combine(_dir, "capi-upgrade.snapshots.db"), options.SqliteSnapshotPath);
        Assert.True(File.Exists(options.SqlitePath));
        Assert.True(File.Exists(options.SqliteSnapshotPath));
    }

    [Fact]
    public void A_snapshots_file_whose_journal_is_gone_is_set_aside_not_reused_and_not_deleted()
    {
        var options = EnginePersistenceOptions.SqliteFile(Path.Combine(_dir, "capi-upgrade.db"));
        EnginePersistenceExtensions.PrepareSqliteFiles(options);
        File.Delete(options.SqlitePath);
        var orphanedBytes = File.ReadAllBytes(options.SqliteSnapshotPath);

        EnginePersistenceExtensions.PrepareSqliteFiles(options);

        var setAside = Directory.GetFiles(_dir, "capi-upgrade.snapshots.db.orphaned-*").Where(f => !f.EndsWith("-wal") && !f.EndsWith("-shm")).ToList();
        Assert.Single(setAside);
        Assert.Equal(orphanedBytes, File.ReadAllBytes(setAside[0]));
        Assert.True(File.Exists(options.SqliteSnapshotPath), "a fresh snapshots file is created for the fresh journal");
    }

    [Fact]
    public void A_journal_that_exists_keeps_its_snapshots()
    {
        var options = EnginePersistenceOptions.SqliteFile(Path.Combine(_dir, "capi-upgrade.db"));
        EnginePersistenceExtensions.PrepareSqliteFiles(options);

        EnginePersistenceExtensions.PrepareSqliteFiles(options);

        Assert.Empty(Directory.GetFiles(_dir, "*.orphaned-*"));
    }

    [Fact]
    public void A_journal_file_that_holds_snapshots_itself_keeps_them_there()
    {
        var journal = Path.Combine(_dir, "capi-upgrade-service.db");
        Assert.False(EnginePersistenceExtensions.HoldsSnapshots(journal)); // no file yet
        Execute(journal, "CREATE TABLE journal (ordering INTEGER)");
        Assert.False(EnginePersistenceExtensions.HoldsSnapshots(journal)); // no snapshot table
        Execute(journal, "CREATE TABLE snapshot (persistence_id TEXT, sequence_number INTEGER)");
        Assert.False(EnginePersistenceExtensions.HoldsSnapshots(journal)); // an empty one

        Execute(journal, "INSERT INTO snapshot VALUES ('/system/sharding/x', 7)");

        Assert.True(EnginePersistenceExtensions.HoldsSnapshots(journal));
    }

    private static void Execute(string path, string sql)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
