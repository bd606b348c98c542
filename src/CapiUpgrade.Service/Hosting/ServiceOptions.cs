using Akka.Configuration;

namespace CapiUpgrade.Service.Hosting;

/// <summary>A management cluster the service upgrades clusters of; a single one is named <c>default</c>.</summary>
public sealed record ManagementClusterSource(string Name, string KubeconfigFile)
{
    public const string DefaultName = "default";

    /// <summary>Parses <c>[NAME=]FILE</c>.</summary>
    public static ManagementClusterSource Parse(string value)
    {
        var eq = value.IndexOf('=');
        if (eq <= 0) return new ManagementClusterSource(DefaultName, value);
        var name = value[..eq];
        if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"))
            throw new ServiceStartException($"--kubeconfig {value}: management cluster name '{name}' must be a DNS label (lowercase letters, digits, '-')");
        return new ManagementClusterSource(name, value[(eq + 1)..]);
    }
}

public enum PersistenceProvider { Sqlite, PostgreSql }

/// <summary>What <c>capi-upgrade serve</c> was asked for, after layering flags over HOCON.</summary>
public sealed record ServiceOptions
{
    /// <summary>The flags as typed; null means "from HOCON".</summary>
    public sealed record Flags
    {
        public IReadOnlyList<string> Kubeconfigs { get; init; } = [];
        public string? Db { get; init; }
        public string? Postgres { get; init; }
        public string? Listen { get; init; }
        public string? Http { get; init; }
        public string? TokenFile { get; init; }
        public string? ConfigFile { get; init; }
    }

    public required IReadOnlyList<ManagementClusterSource> ManagementClusters { get; init; }
    public required PersistenceProvider Persistence { get; init; }
    public required string ConnectionString { get; init; }
    public required string SqliteFile { get; init; }
    public required ListenAddress Listen { get; init; }
    public required ListenAddress Http { get; init; }
    public string? Token { get; init; }
    public required Config Hocon { get; init; }

    public static ServiceOptions Resolve(Flags flags, Func<string, string?>? environment = null)
    {
        var hocon = ServiceConfiguration.Load(flags.ConfigFile, environment);
        var s = hocon.GetConfig("capi-upgrade.service");
        if (flags.Db is not null && flags.Postgres is not null)
            throw new ServiceStartException("--db and --postgres are exclusive: pick the SQLite file or the PostgreSQL connection string");

        var provider = s.GetString("persistence.provider", "sqlite").ToLowerInvariant() switch
        {
            "sqlite" => PersistenceProvider.Sqlite,
            "postgresql" or "postgres" => PersistenceProvider.PostgreSql,
            var other => throw new ServiceStartException($"capi-upgrade.service.persistence.provider = \"{other}\": use \"sqlite\" or \"postgresql\""),
        };
        var sqliteFile = flags.Db ?? s.GetString("persistence.sqlite-file", "capi-upgrade-service.db");
        var postgres = flags.Postgres ?? s.GetString("persistence.postgres-connection-string", "");
        if (flags.Db is not null) provider = PersistenceProvider.Sqlite;
        if (flags.Postgres is not null) provider = PersistenceProvider.PostgreSql;
        if (provider == PersistenceProvider.PostgreSql && string.IsNullOrWhiteSpace(postgres))
            throw new ServiceStartException("persistence provider is postgresql but no connection string is set: pass --postgres \"Host=...;Database=...;Username=...\"");

        var tokenFile = flags.TokenFile ?? NullIfEmpty(s.GetString("token-file", ""));
        string? token = null;
        if (tokenFile is not null)
        {
            if (!File.Exists(tokenFile))
                throw new ServiceStartException($"--token-file {tokenFile}: the file does not exist; write the token into it (one line) or drop the option");
            token = File.ReadAllText(tokenFile).Trim();
            if (token.Length < 16)
                throw new ServiceStartException($"--token-file {tokenFile}: the token is {token.Length} characters long; use at least 16 (e.g. `openssl rand -hex 32 > {tokenFile}`)");
        }

        var listen = ListenAddress.Parse(flags.Listen ?? s.GetString("listen", "127.0.0.1:9110"), "--listen");
        var http = ListenAddress.Parse(flags.Http ?? s.GetString("http", "127.0.0.1:9111"), "--http");
        if (token is null && (!listen.IsLoopback || !http.IsLoopback))
        {
            var which = !listen.IsLoopback ? $"--listen {listen}" : $"--http {http}";
            throw new ServiceStartException($"{which} binds a non-loopback address without a token: pass --token-file FILE (clients then use --token-file or CAPI_UPGRADE_TOKEN), or bind 127.0.0.1");
        }

        var clusters = flags.Kubeconfigs.Select(ManagementClusterSource.Parse).ToList();
        var duplicate = clusters.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ServiceStartException($"--kubeconfig: management cluster name '{duplicate.Key}' is given twice; name them NAME=FILE");
        foreach (var c in clusters)
            if (!File.Exists(c.KubeconfigFile))
                throw new ServiceStartException($"--kubeconfig {c.Name}={c.KubeconfigFile}: the file does not exist");

        return new ServiceOptions
        {
            ManagementClusters = clusters,
            Persistence = provider,
            SqliteFile = sqliteFile,
            ConnectionString = provider == PersistenceProvider.Sqlite ? $"Data Source={Path.GetFullPath(sqliteFile)}" : postgres,
            Listen = listen,
            Http = http,
            Token = token,
            Hocon = hocon,
        };
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
