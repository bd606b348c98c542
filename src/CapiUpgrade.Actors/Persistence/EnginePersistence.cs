using Akka.Configuration;
using Akka.Hosting;
using Akka.Persistence.Hosting;
using Akka.Persistence.Sql.Config;
using Akka.Persistence.Sql.Hosting;
using CapiUpgrade.Core.Upgrades;
using LinqToDB;

namespace CapiUpgrade.Actors.Persistence;

/// <summary>Where the upgrade journal lives: a SQLite file (default, zero setup) or PostgreSQL.</summary>
public sealed record EnginePersistenceOptions
{
    public const string Sqlite = "sqlite";
    public const string PostgreSql = "postgresql";

    public string Provider { get; init; } = Sqlite;
    public string SqlitePath { get; init; } = "capi-upgrade.db";
    public string? PostgreSqlConnectionString { get; init; }

    public static EnginePersistenceOptions SqliteFile(string path) => new() { Provider = Sqlite, SqlitePath = path };
    public static EnginePersistenceOptions Postgres(string connectionString) => new() { Provider = PostgreSql, PostgreSqlConnectionString = connectionString };

    /// <summary>
    /// The SQLite file of the snapshots, beside the journal's (capi-upgrade.db → capi-upgrade.snapshots.db): SQLite
    /// lets one connection write a file at a time, and a snapshot written into the journal's file made the
    /// journal's next write wait for the lock — Microsoft.Data.Sqlite retries a busy file every 150 ms.
    /// </summary>
    public string SqliteSnapshotPath => Path.ChangeExtension(SqlitePath, null) + ".snapshots.db";

    public string SqliteSnapshotConnectionString => SqliteConnectionString(SqliteSnapshotPath);

    private static string SqliteConnectionString(string path) => $"Data Source={Path.GetFullPath(path)}";

    /// <summary>From HOCON `capi-upgrade.engine.persistence`.</summary>
    public static EnginePersistenceOptions FromConfig(Config config)
    {
        var c = config.GetConfig("capi-upgrade.engine.persistence");
        if (c is null || c.IsEmpty) return new EnginePersistenceOptions();
        return new EnginePersistenceOptions
        {
            Provider = c.GetString("provider", Sqlite),
            SqlitePath = c.GetString("sqlite-path", "capi-upgrade.db"),
            PostgreSqlConnectionString = c.GetString("postgresql-connection-string", "") is { Length: > 0 } cs ? cs : null,
        };
    }

    public (string ConnectionString, string ProviderName) Resolve() => Provider.ToLowerInvariant() switch
    {
        Sqlite => (SqliteConnectionString(SqlitePath), ProviderName.SQLiteMS),
        PostgreSql or "postgres" => (PostgreSqlConnectionString is { Length: > 0 } cs
            ? cs
            : throw new ArgumentException("capi-upgrade.engine.persistence.provider is postgresql but postgresql-connection-string is empty: set it (e.g. Host=127.0.0.1;Port=5432;Database=capi_upgrade;Username=postgres)"),
            ProviderName.PostgreSQL15),
        _ => throw new ArgumentException($"capi-upgrade.engine.persistence.provider '{Provider}' is unknown: use sqlite or postgresql"),
    };
}

/// <summary>Akka.Hosting wiring of the engine: its HOCON defaults and its journal.</summary>
public static class EnginePersistenceExtensions
{
    /// <summary>The engine's HOCON defaults (hocon/engine.conf, embedded in this assembly).</summary>
    public static Config DefaultConfig
    {
        get
        {
            using var stream = typeof(EnginePersistenceExtensions).Assembly.GetManifestResourceStream("CapiUpgrade.Actors.engine.conf")
                ?? throw new InvalidOperationException("engine.conf is not embedded in CapiUpgrade.Actors");
            using var reader = new StreamReader(stream);
            return ConfigurationFactory.ParseString(reader.ReadToEnd());
        }
    }

    /// <summary>Adds the engine's HOCON (<paramref name="overrides"/> first, then hocon/engine.conf defaults).</summary>
    public static AkkaConfigurationBuilder WithUpgradeEngineConfig(this AkkaConfigurationBuilder builder, Config? overrides = null)
    {
        var config = overrides is null ? DefaultConfig : overrides.WithFallback(DefaultConfig);
        return builder.AddHocon(config, HoconAddMode.Prepend);
    }

    /// <summary>Journal, snapshot store and query journal on Akka.Persistence.Sql (SQLite file or PostgreSQL), tables created on first use.</summary>
    public static AkkaConfigurationBuilder WithUpgradeJournal(this AkkaConfigurationBuilder builder, EnginePersistenceOptions options) =>
        builder.WithSqlJournal(options);

    /// <summary>
    /// Journal, snapshot store and query journal on Akka.Persistence.Sql, tables created on first use. A SQLite
    /// journal gets write-ahead logging, one writer and a snapshots file of its own (see
    /// <see cref="PrepareSqliteFiles"/>), unless it already holds snapshots itself (<see cref="HoldsSnapshots"/>):
    /// what `capi-upgrade run` and `capi-upgrade serve` both journal through.
    /// </summary>
    /// <remarks>
    /// Events are tagged for read models (<see cref="JournalTags"/>) in the journal row itself (the plugin's CSV tag
    /// mode), not in its tag table: with this plugin (1.5.73) and linq2db (6.5.1) every read of a journal in tag-table
    /// mode — an actor's recovery, a query — adds each row's tags through a subquery that linq2db writes as an
    /// aggregate over the whole tag table, so every row read scanned every tag row: a restarted service folded one
    /// finished 500-cluster campaign (34,000 events, 69,500 tag rows) in 150 s of CPU. In CSV mode a read touches the
    /// journal table only, and a tagged batch goes in as one INSERT (tag-table mode inserts tagged rows one by one).
    /// A journal an earlier version created without the tags column gets it at start (<see cref="AddTagColumn"/>).
    /// </remarks>
    public static AkkaConfigurationBuilder WithSqlJournal(this AkkaConfigurationBuilder builder, EnginePersistenceOptions options)
    {
        var (connectionString, providerName) = options.Resolve();
        var sqlite = options.Provider == EnginePersistenceOptions.Sqlite;
        var snapshotsInJournalFile = sqlite && HoldsSnapshots(options.SqlitePath);
        if (sqlite)
        {
            PrepareSqliteFiles(options);
            // SQLite has one writer at a time: one journal writer that batches every actor's pending events
            // into one transaction (one fsync) beats three that wait on each other's lock.
            builder.AddHocon("akka.persistence.journal.sql.parallelism = 1", HoconAddMode.Prepend);
            // Reads as deferred transactions ("BEGIN", which Microsoft.Data.Sqlite starts for read-uncommitted; without
            // a shared cache SQLite reads committed data only): in write-ahead-logging mode they then neither take nor
            // wait for the write lock. By default every read began IMMEDIATE, holding the write lock, and a read that
            // found it taken slept in Microsoft.Data.Sqlite's busy loop on a thread-pool thread: a service restarted
            // with 500 upgrades to recover (and its read model catching up) had 154 recoveries time out after 30 s.
            builder.AddHocon("""
                akka.persistence.journal.sql.read-isolation-level = read-uncommitted
                akka.persistence.query.journal.sql.read-isolation-level = read-uncommitted
                akka.persistence.snapshot-store.sql.read-isolation-level = read-uncommitted
                """, HoconAddMode.Prepend);
        }
        // A batch of events goes in as one INSERT with parameters, not with each event's bytes written into the
        // SQL text as a hex literal (the plugin's default): that text, and linq2db's building of it, were about a
        // tenth of everything the engine allocated in a 200-cluster run (BENCHMARKS.md, ninth session).
        builder.AddHocon("akka.persistence.journal.sql.prefer-parameters-on-multirow-insert = on", HoconAddMode.Prepend);
        builder.WithSqlPersistence(
            connectionString: connectionString,
            providerName: providerName,
            journalBuilder: journal => journal.AddWriteEventAdapter<JournalTagger>("capi-upgrade-tags", [typeof(IClusterUpgradeEvent), typeof(Core.Campaigns.CampaignEvent)]),
            autoInitialize: true,
            tagStorageMode: TagMode.Csv);
        AddTagColumn(options);
        if (sqlite && !snapshotsInJournalFile)
        {
            // After WithSqlPersistence, so that this connection string wins over the one it set.
            builder.AddHocon($"akka.persistence.snapshot-store.sql.connection-string = \"{options.SqliteSnapshotConnectionString}\"", HoconAddMode.Prepend);
        }
        return builder;
    }

    /// <summary>
    /// A journal table an earlier version created (in the plugin's tag-table mode) has no <c>tags</c> column: it gets
    /// one, and its upgrade and campaign events get their tags (<see cref="JournalTags.ByPersistenceId"/>), so a read
    /// model that follows a tag also finds what was written before. Once, in one transaction; a new journal's table
    /// is created with the column by the plugin. A tag table the earlier version filled is left as it is: nothing
    /// reads it any more.
    /// </summary>
    public static void AddTagColumn(EnginePersistenceOptions options)
    {
        var (connectionString, _) = options.Resolve();
        var sqlite = options.Provider == EnginePersistenceOptions.Sqlite;
        if (sqlite && !File.Exists(options.SqlitePath)) return;
        using System.Data.Common.DbConnection connection = sqlite
            ? new Microsoft.Data.Sqlite.SqliteConnection(connectionString + ";Pooling=False")
            : new Npgsql.NpgsqlConnection(connectionString);
        try
        {
            connection.Open();
        }
        catch (Npgsql.NpgsqlException)
        {
            return; // the server is not up yet: the journal's own start says so (and retries); this waits for the next start
        }
        if (!TableExists(connection, "journal") || ColumnExists(connection, "journal", "tags")) return;
        string[] statements =
        [
            sqlite ? "ALTER TABLE journal ADD COLUMN tags NVarChar(100) NULL" : "ALTER TABLE journal ADD COLUMN tags text NULL",
            .. JournalTags.ByPersistenceId.Select(p => $"UPDATE journal SET tags = ';{string.Join(';', p.Tags)};' WHERE persistence_id LIKE '{p.PersistenceIdPrefix}%'"),
        ];
        try
        {
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            foreach (var statement in statements)
            {
                command.CommandText = statement;
                command.ExecuteNonQuery();
            }
            transaction.Commit();
        }
        catch (System.Data.Common.DbException e)
        {
            throw new InvalidOperationException(
                $"the journal table 'journal' ({(sqlite ? options.SqlitePath : "PostgreSQL")}) was created by an earlier capi-upgrade without the tags column, and adding it failed: {e.Message}. "
                + $"Nothing was changed. Start once as the table's owner (the database user that created it), or run these statements in one transaction as that user and start again: {string.Join("; ", statements)};", e);
        }
    }

    private static bool TableExists(System.Data.Common.DbConnection connection, string table)
    {
        using var command = connection.CreateCommand();
        command.CommandText = connection is Microsoft.Data.Sqlite.SqliteConnection
            ? $"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'"
            : $"SELECT count(*) FROM information_schema.tables WHERE table_name = '{table}' AND table_schema = current_schema()";
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    private static bool ColumnExists(System.Data.Common.DbConnection connection, string table, string column)
    {
        using var command = connection.CreateCommand();
        command.CommandText = connection is Microsoft.Data.Sqlite.SqliteConnection
            ? $"SELECT count(*) FROM pragma_table_info('{table}') WHERE name = '{column}'"
            : $"SELECT count(*) FROM information_schema.columns WHERE table_name = '{table}' AND column_name = '{column}' AND table_schema = current_schema()";
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    /// <summary>True when the table exists (in the connection's SQLite file, or PostgreSQL's current schema) and holds a row.</summary>
    private static bool TableHasRows(System.Data.Common.DbConnection connection, string table)
    {
        if (!TableExists(connection, table)) return false;
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT EXISTS (SELECT 1 FROM {table})";
        return Convert.ToBoolean(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// True when the SQLite journal file at <paramref name="path"/> holds snapshots itself (the layout before snapshots
    /// got a file of their own). Such a journal keeps them there: some stores delete their events up to a snapshot
    /// (cluster sharding's remembered entities), so a fresh snapshots file would lose what only the snapshot holds.
    /// </summary>
    public static bool HoldsSnapshots(string path)
    {
        if (!File.Exists(path)) return false;
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.GetFullPath(path)};Mode=ReadOnly;Pooling=False");
        connection.Open();
        return TableHasRows(connection, "snapshot");
    }

    /// <summary>
    /// Creates the journal's and the snapshots' SQLite files in write-ahead-logging mode (see
    /// <see cref="EnginePersistenceOptions.SqliteSnapshotPath"/>), first setting aside a snapshots file whose journal is gone.
    /// </summary>
    public static void PrepareSqliteFiles(EnginePersistenceOptions options)
    {
        if (!File.Exists(options.SqlitePath)) SetAsideOrphanedSnapshots(options.SqliteSnapshotPath);
        PrepareSqlite(options.SqlitePath, options.Resolve().ConnectionString);
        PrepareSqlite(options.SqliteSnapshotPath, options.SqliteSnapshotConnectionString);
    }

    /// <summary>
    /// A snapshots file without its journal (the journal was deleted or moved) would bring back upgrade states the
    /// journal no longer holds: it is renamed aside (kept, never deleted), so the new journal starts from nothing.
    /// </summary>
    private static void SetAsideOrphanedSnapshots(string snapshotPath)
    {
        if (!File.Exists(snapshotPath)) return;
        var suffix = ".orphaned-" + DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var part in new[] { "", "-wal", "-shm" })
        {
            if (File.Exists(snapshotPath + part)) File.Move(snapshotPath + part, snapshotPath + suffix + part);
        }
    }

    /// <summary>
    /// Creates the SQLite file's directory and switches the file to write-ahead logging (a setting stored in
    /// the file): a commit is one append and one fsync of the log instead of rewriting pages under a
    /// rollback journal, and a reader outside a write transaction does not block the writer. (Akka.Persistence.Sql
    /// still wraps its reads in transactions that Microsoft.Data.Sqlite begins IMMEDIATE, i.e. holding the write
    /// lock for the read's few milliseconds: the service's read model and the journal's writer take turns.)
    /// Synchronous stays FULL, so an event acknowledged as persisted survives a crash of the process or the machine.
    /// </summary>
    private static void PrepareSqlite(string path, string connectionString)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir)
            Directory.CreateDirectory(dir);
        // Unpooled: a pooled connection would keep the file open under its old name if it is set aside later.
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection(connectionString + ";Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        var mode = command.ExecuteScalar() as string;
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"SQLite journal {path}: could not switch to write-ahead logging (journal_mode is '{mode}'); put the file on a local file system, or use PostgreSQL (capi-upgrade.engine.persistence.provider = postgresql).");
    }
}
