using Akka.Configuration;
using Akka.Hosting;
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
        Sqlite => ($"Data Source={Path.GetFullPath(SqlitePath)}", ProviderName.SQLiteMS),
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

    /// <summary>
    /// Journal, snapshot store and query journal on Akka.Persistence.Sql (SQLite file or PostgreSQL), tables
    /// created on first use; cluster-upgrade events tagged through <see cref="ClusterUpgradeEventTagger"/>.
    /// </summary>
    public static AkkaConfigurationBuilder WithUpgradeJournal(this AkkaConfigurationBuilder builder, EnginePersistenceOptions options)
    {
        var (connectionString, providerName) = options.Resolve();
        if (options.Provider == EnginePersistenceOptions.Sqlite && Path.GetDirectoryName(Path.GetFullPath(options.SqlitePath)) is { } dir)
            Directory.CreateDirectory(dir);
        return builder.WithSqlPersistence(
            connectionString: connectionString,
            providerName: providerName,
            autoInitialize: true,
            tagStorageMode: TagMode.TagTable,
            journalBuilder: journal => journal.AddWriteEventAdapter<ClusterUpgradeEventTagger>("cluster-upgrade-tagger", new[] { typeof(IClusterUpgradeEvent) }));
    }
}
