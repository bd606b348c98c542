using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Persistence.Query;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using CapiUpgrade.Actors.Persistence;
using CapiUpgrade.Core.Campaigns;
using CapiUpgrade.Core.Upgrades;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using CapiUpgrade.Tests.Shared;
using Npgsql;
using static CapiUpgrade.Core.Upgrades.ClusterUpgradeEvents;
using ClusterKey = CapiUpgrade.Core.Upgrades.ClusterKey;

namespace CapiUpgrade.Actors.Tests.ClusterUpgrade;

/// <summary>
/// Upgrade and campaign events are tagged for read models in their journal rows (the plugin's CSV tag mode), on
/// SQLite and PostgreSQL, through the wiring `capi-upgrade run` and `serve` use; a journal an earlier version
/// created without the tags column gets it, and its events their tags, at the next start.
/// </summary>
public sealed class JournalTagTests : IDisposable
{
    private static readonly ClusterKey Cluster = new("fleet", "alpha");
    private static readonly DateTimeOffset At = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("capi-journal-tags-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static readonly IClusterUpgradeEvent[] UpgradeEvents =
    [
        new UpgradeStarted(Cluster, "u1", "v1.30.2", UpgradeOptions.Default, "cli", At),
        new UpgradePlanned(Cluster, "u1", "v1.29.4", new List<string> { "v1.30.2" }, At),
        new StepStarted(Cluster, "u1", UpgradeStep.Preflight, null, 0, At),
    ];

    private static readonly CampaignEvent[] CampaignEvents =
    [
        new CampaignEvents.WaveStarted("c1", At, 0),
        new CampaignEvents.ClusterScheduled("c1", At, "fleet/alpha", 0),
    ];

    private async Task<EnginePersistenceOptions> JournalAsync(string provider) => provider switch
    {
        "sqlite" => EnginePersistenceOptions.SqliteFile(Path.Combine(_dir, "journal.db")),
        _ => EnginePersistenceOptions.Postgres(await NewPostgresDatabaseAsync()),
    };

    /// <summary>An actor system journaling as `capi-upgrade run` and `serve` do (<see cref="EnginePersistenceExtensions.WithSqlJournal"/>).</summary>
    private static async Task<IHost> StartAsync(EnginePersistenceOptions journal)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddAkka("journal-tags", akka => akka
            .WithUpgradeEngineConfig(ConfigurationFactory.ParseString("akka.loglevel = WARNING"))
            .WithUpgradeJournal(journal));
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static async Task<List<object>> ByTagAsync(ActorSystem system, string tag)
    {
        var queries = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
        var envelopes = await queries.CurrentEventsByTag(tag, Offset.NoOffset()).RunWith(Sink.Seq<EventEnvelope>(), system.Materializer());
        return envelopes.Select(e => e.Event).ToList();
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task Upgrade_and_campaign_events_are_found_by_their_tags(string provider)
    {
        var journal = await JournalAsync(provider);
        using var host = await StartAsync(journal);
        var system = host.Services.GetRequiredService<ActorSystem>();

        await JournalRecording.RecoverThenPersistAsync(system, Cluster.PersistenceId, UpgradeEvents);
        await JournalRecording.RecoverThenPersistAsync(system, "campaign/c1", CampaignEvents);
        await JournalRecording.RecoverThenPersistAsync(system, "something-else/x", "not an event of ours");

        Assert.Equal(UpgradeEvents.Select(e => e.GetType()), (await ByTagAsync(system, JournalTags.ClusterUpgrade)).Select(e => e.GetType()));
        Assert.Equal(CampaignEvents, await ByTagAsync(system, JournalTags.Campaign));
        // The fleet's stream: both kinds, in the order they were journaled, nothing else.
        Assert.Equal(UpgradeEvents.Select(e => e.GetType()).Concat(CampaignEvents.Select(e => e.GetType())), (await ByTagAsync(system, JournalTags.Fleet)).Select(e => e.GetType()));
        // The row holds each tag between separators, in no particular order (the plugin keeps tags as a set).
        var rows = await TagsByPersistenceIdAsync(journal, [Cluster.PersistenceId, "campaign/c1", "something-else/x"]);
        Assert.Equal([";cluster-upgrade;", ";fleet;"], TagsIn(rows[0]));
        Assert.Equal([";campaign;", ";fleet;"], TagsIn(rows[1]));
        Assert.Equal("", rows[2]);
        await host.StopAsync();
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgresql")]
    public async Task A_journal_without_the_tags_column_gets_it_and_its_events_their_tags(string provider)
    {
        var journal = await JournalAsync(provider);
        // As an earlier version left it: the plugin's tag-table layout (no tags column), events untagged.
        using (var system = ActorSystem.Create("earlier", EarlierLayout(journal)))
        {
            await JournalRecording.RecoverThenPersistAsync(system, Cluster.PersistenceId, UpgradeEvents[0], UpgradeEvents[1]);
            await JournalRecording.RecoverThenPersistAsync(system, "campaign/c1", CampaignEvents[0]);
            await system.Terminate();
        }
        Assert.False(await HasTagsColumnAsync(journal));

        using var host = await StartAsync(journal);
        var started = host.Services.GetRequiredService<ActorSystem>();
        var recovered = await JournalRecording.RecoverThenPersistAsync(started, Cluster.PersistenceId, UpgradeEvents[2]);
        await JournalRecording.RecoverThenPersistAsync(started, "campaign/c1", CampaignEvents[1]);

        Assert.True(await HasTagsColumnAsync(journal));
        Assert.Equal(2, recovered.Count); // nothing lost: both earlier events recovered
        Assert.Equal(UpgradeEvents.Select(e => e.GetType()), (await ByTagAsync(started, JournalTags.ClusterUpgrade)).Select(e => e.GetType()));
        Assert.Equal(CampaignEvents, await ByTagAsync(started, JournalTags.Campaign));
        Assert.Equal(
            new[] { typeof(UpgradeStarted), typeof(UpgradePlanned), typeof(CampaignEvents.WaveStarted), typeof(StepStarted), typeof(CampaignEvents.ClusterScheduled) },
            (await ByTagAsync(started, JournalTags.Fleet)).Select(e => e.GetType()));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_journal_user_who_may_not_add_the_column_gets_a_clear_error_and_nothing_changes()
    {
        var owner = await JournalAsync("postgresql");
        using (var system = ActorSystem.Create("earlier", EarlierLayout(owner)))
        {
            await JournalRecording.RecoverThenPersistAsync(system, Cluster.PersistenceId, UpgradeEvents[0]);
            await system.Terminate();
        }
        // A user that may read and write the journal but does not own its table.
        var role = "capi_writer_" + Guid.NewGuid().ToString("N")[..8];
        await ScalarAsync(owner, $"CREATE ROLE {role} LOGIN; GRANT ALL ON TABLE journal TO {role}; SELECT 1");
        var writer = EnginePersistenceOptions.Postgres(new NpgsqlConnectionStringBuilder(owner.PostgreSqlConnectionString) { Username = role }.ConnectionString);

        InvalidOperationException error;
        try
        {
            error = Assert.Throws<InvalidOperationException>(() => EnginePersistenceExtensions.AddTagColumn(writer));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ScalarAsync(owner, $"DROP OWNED BY {role}; DROP ROLE {role}; SELECT 1"); // roles outlive the test's database
        }

        Assert.Contains("created by an earlier capi-upgrade without the tags column", error.Message);
        Assert.Contains("Nothing was changed", error.Message);
        Assert.Contains("ALTER TABLE journal ADD COLUMN tags text NULL", error.Message);
        Assert.Contains("UPDATE journal SET tags = ';cluster-upgrade;fleet;' WHERE persistence_id LIKE 'cluster-upgrade/%'", error.Message);
        Assert.False(await HasTagsColumnAsync(owner));
        Assert.Equal(1L, await ScalarAsync(owner, "SELECT count(*) FROM journal"));

        EnginePersistenceExtensions.AddTagColumn(owner); // the owner can: the next start goes on
        Assert.True(await HasTagsColumnAsync(owner));
    }

    private static Config EarlierLayout(EnginePersistenceOptions journal)
    {
        var (connectionString, providerName) = journal.Resolve();
        return ConfigurationFactory.ParseString($$"""
            akka.loglevel = WARNING
            akka.persistence.journal.plugin = "akka.persistence.journal.sql"
            akka.persistence.journal.sql.connection-string = "{{connectionString}}"
            akka.persistence.journal.sql.provider-name = "{{providerName}}"
            akka.persistence.journal.sql.auto-initialize = on
            akka.persistence.journal.sql.tag-write-mode = TagTable
            akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
            """).WithFallback(Akka.Persistence.Sql.SqlPersistence.DefaultConfiguration);
    }

    private static async Task<bool> HasTagsColumnAsync(EnginePersistenceOptions journal) =>
        (long)(await ScalarAsync(journal, journal.Provider == EnginePersistenceOptions.Sqlite
            ? "SELECT count(*) FROM pragma_table_info('journal') WHERE name = 'tags'"
            : "SELECT count(*) FROM information_schema.columns WHERE table_name = 'journal' AND column_name = 'tags'"))! > 0;

    private static IEnumerable<string> TagsIn(string? row) =>
        (row ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).Select(t => $";{t};");

    private static async Task<List<string?>> TagsByPersistenceIdAsync(EnginePersistenceOptions journal, IEnumerable<string> persistenceIds)
    {
        var tags = new List<string?>();
        foreach (var id in persistenceIds)
            tags.Add(await ScalarAsync(journal, $"SELECT DISTINCT tags FROM journal WHERE persistence_id = '{id}'") as string);
        return tags;
    }

    private static async Task<object?> ScalarAsync(EnginePersistenceOptions journal, string sql)
    {
        var (connectionString, _) = journal.Resolve();
        await using System.Data.Common.DbConnection connection = journal.Provider == EnginePersistenceOptions.Sqlite
            ? new SqliteConnection(connectionString + ";Pooling=False")
            : new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var value = await command.ExecuteScalarAsync();
        return value is DBNull ? null : value;
    }

    private static Task<string> NewPostgresDatabaseAsync() =>
        PostgresTestDatabase.CreateFromEnvironmentAsync("capi_tags_");
}
