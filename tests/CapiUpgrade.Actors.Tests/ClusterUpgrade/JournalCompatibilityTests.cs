using Akka.Actor;
using Akka.Configuration;
using CapiUpgrade.Actors.Persistence;
using CapiUpgrade.Core.Upgrades;
using Microsoft.Data.Sqlite;
using static CapiUpgrade.Core.Upgrades.ClusterUpgradeEvents;

namespace CapiUpgrade.Actors.Tests.ClusterUpgrade;

/// <summary>
/// A journal written before the journal's own format (Akka's default Json.NET rows) is read by this build, which
/// writes its new rows in its own format into the same SQLite file.
/// </summary>
public sealed class JournalCompatibilityTests : IDisposable
{
    private static readonly ClusterKey Cluster = new("fleet", "alpha");
    private static readonly DateTimeOffset At = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("capi-journal-format-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private Config SqliteJournal() => ConfigurationFactory.ParseString($$"""
        akka.loglevel = WARNING
        akka.persistence.journal.plugin = "akka.persistence.journal.sql"
        akka.persistence.journal.sql.connection-string = "Data Source={{Path.Combine(_dir, "journal.db")}}"
        akka.persistence.journal.sql.provider-name = "SQLite.MS"
        akka.persistence.journal.sql.auto-initialize = on
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.sql"
        akka.persistence.snapshot-store.sql.connection-string = "Data Source={{Path.Combine(_dir, "snapshots.db")}}"
        akka.persistence.snapshot-store.sql.provider-name = "SQLite.MS"
        akka.persistence.snapshot-store.sql.auto-initialize = on
        """).WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration);

    // The old rows' lists are List<T>, as the engine builds them: Json.NET wrote each list's runtime type into the
    // row and cannot create the compiler's types behind a collection expression (this format reads any list back).
    private static async Task<List<object>> RunAsync(Config config, params object[] toPersist)
    {
        using var system = ActorSystem.Create("journal-format", config);
        var recovered = await JournalRecording.RecoverThenPersistAsync(system, Cluster.PersistenceId, toPersist);
        await system.Terminate();
        return recovered;
    }

    [Fact]
    public async Task Rows_written_by_the_default_serializer_are_read_and_new_rows_are_written_in_the_journal_format()
    {
        var old = new object[]
        {
            new UpgradeStarted(Cluster, "u1", "v1.30.2", UpgradeOptions.Default with { MachineTimeout = TimeSpan.FromMinutes(7) }, "cli", At),
            new HopPlanned(Cluster, "u1", 0, "v1.30.2", new List<MachineReplacement> { new("cp-1", "cp-1", true, ReplacementStage.ReplacementCreated, "cp-1-u1") }, new List<string>(), At),
            new StepStarted(Cluster, "u1", UpgradeStep.AwaitReplacementReady, "cp-1", 1, At),
        };
        var state = ClusterUpgradeState.Empty(Cluster).Apply((IClusterUpgradeEvent)old[0]).Apply((IClusterUpgradeEvent)old[1]);
        await RunAsync(SqliteJournal(), old[0], old[1], new JournalRecorder.SnapshotOf(state), old[2]); // the snapshot after the first two events
        Assert.Equal([1L], Column("journal.db", "SELECT DISTINCT identifier FROM journal")); // written the old way

        var withFormat = SqliteJournal().WithFallback(EnginePersistenceExtensions.DefaultConfig);
        var next = new StepSucceeded(Cluster, "u1", UpgradeStep.AwaitReplacementReady, "cp-1", "Ready", At, Node: "cp-1-u1");
        var recovered = await RunAsync(withFormat, next);

        var snapshot = Assert.IsType<ClusterUpgradeState>(recovered[0]);
        Assert.Equal(state.Machines, snapshot.Machines);
        Assert.Equal(TimeSpan.FromMinutes(7), snapshot.Options.MachineTimeout);
        var afterSnapshot = Assert.IsType<StepStarted>(Assert.Single(recovered.Skip(1)));
        Assert.Equal((UpgradeStep.AwaitReplacementReady, "cp-1", 1), (afterSnapshot.Step, afterSnapshot.Machine, afterSnapshot.Attempt));

        var all = await RunAsync(withFormat); // everything once more, old rows and new
        var events = all.OfType<IClusterUpgradeEvent>().ToList();
        Assert.Equal(UpgradeStep.AwaitReplacementReady, Assert.IsType<StepSucceeded>(events[^1]).Step);
        Assert.Equal("cp-1-u1", ((StepSucceeded)events[^1]).Node);
        Assert.Equal([1L, (long)JournalSerializer.Id], Column("journal.db", "SELECT DISTINCT identifier FROM journal ORDER BY identifier"));
        Assert.Equal(["cluster-upgrade.step-succeeded"], Column("journal.db", $"SELECT manifest FROM journal WHERE identifier = {JournalSerializer.Id}"));
    }

    [Fact]
    public async Task A_journal_written_before_without_snapshots_replays_every_event_in_order()
    {
        var events = new IClusterUpgradeEvent[]
        {
            new UpgradeStarted(Cluster, "u1", "v1.30.2", UpgradeOptions.Default, "cli", At),
            new UpgradePlanned(Cluster, "u1", "v1.29.4", new List<string> { "v1.30.2" }, At),
            new StepStarted(Cluster, "u1", UpgradeStep.Preflight, null, 0, At),
        };
        await RunAsync(SqliteJournal(), events);

        var recovered = await RunAsync(SqliteJournal().WithFallback(EnginePersistenceExtensions.DefaultConfig));

        Assert.Equal(events.Select(e => e.GetType()), recovered.Select(e => e.GetType()));
        Assert.Equal(["v1.30.2"], ((UpgradePlanned)recovered[1]).Hops);
        Assert.Equal(UpgradeStep.Preflight, ((StepStarted)recovered[2]).Step);
        Assert.Equal(events.Aggregate(ClusterUpgradeState.Empty(Cluster), (s, e) => s.Apply(e)).Summary(),
            recovered.Cast<IClusterUpgradeEvent>().Aggregate(ClusterUpgradeState.Empty(Cluster), (s, e) => s.Apply(e)).Summary());
    }

    private List<object> Column(string file, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_dir, file)};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<object>();
        while (reader.Read()) values.Add(reader.GetValue(0));
        return values;
    }
}
