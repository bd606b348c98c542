using CapiUpgrade.Service.Hosting;

namespace CapiUpgrade.Service.Tests;

public sealed class ConfigurationTests
{
    [Fact]
    public void Embedded_defaults_run_with_zero_setup()
    {
        var options = ServiceOptions.Resolve(new ServiceOptions.Flags(), _ => null);

        Assert.Equal("127.0.0.1:9110", options.Listen.ToString());
        Assert.Equal("127.0.0.1:9111", options.Http.ToString());
        Assert.Equal(PersistenceProvider.Sqlite, options.Persistence);
        Assert.Equal("capi-upgrade-service.db", options.SqliteFile);
        Assert.Null(options.Token);
        Assert.Equal("eventsourced", options.Hocon.GetString("akka.cluster.sharding.remember-entities-store"));
        Assert.Equal(50, options.Hocon.GetInt("capi-upgrade.engine.snapshot-every"));
    }

    [Fact]
    public void Campaign_settings_come_from_the_embedded_defaults_and_a_snapshot_interval_below_one_is_refused_naming_the_key()
    {
        var defaults = CapiUpgrade.Service.Campaigns.CampaignSettings.FromConfig(ServiceOptions.Resolve(new ServiceOptions.Flags(), _ => null).Hocon);
        Assert.Equal(100, defaults.SnapshotEvery);
        Assert.Equal(TimeSpan.FromSeconds(2), defaults.TickInterval);
        Assert.Equal(TimeSpan.FromMinutes(2), defaults.PassivateFinishedAfter);

        var env = new Dictionary<string, string> { [ServiceConfiguration.HoconEnvironmentVariable] = "capi-upgrade.service.campaigns.snapshot-every = 0" };
        var zero = ServiceOptions.Resolve(new ServiceOptions.Flags(), k => env.GetValueOrDefault(k)).Hocon;
        var error = Assert.Throws<ArgumentException>(() => CapiUpgrade.Service.Campaigns.CampaignSettings.FromConfig(zero));
        Assert.Contains("capi-upgrade.service.campaigns.snapshot-every is 0", error.Message);
        Assert.Contains("set it to 1 or more", error.Message);
    }

    [Fact]
    public async Task Etcd_access_comes_from_the_engine_config_and_an_unknown_value_is_refused_naming_the_key()
    {
        ServiceOptions With(string? hocon) => ServiceOptions.Resolve(new ServiceOptions.Flags(),
            k => k == ServiceConfiguration.HoconEnvironmentVariable ? hocon : null);

        await using (var defaults = new CapiUpgrade.Service.Hosting.EngineWiring(With(null)))
            Assert.Equal(Kubernetes.Management.EtcdAccess.Direct, defaults.EtcdAccess);
        await using (var forwarded = new CapiUpgrade.Service.Hosting.EngineWiring(With("capi-upgrade.engine.etcd-access = port-forward")))
            Assert.Equal(Kubernetes.Management.EtcdAccess.PortForward, forwarded.EtcdAccess);
        var error = Assert.Throws<ArgumentException>(() => new CapiUpgrade.Service.Hosting.EngineWiring(With("capi-upgrade.engine.etcd-access = tunnel")));
        Assert.Contains("capi-upgrade.engine.etcd-access is 'tunnel'", error.Message);
        Assert.Contains("use direct", error.Message);
        Assert.Contains("port-forward", error.Message);
    }

    [Fact]
    public void Environment_overrides_the_file_which_overrides_the_defaults_and_flags_override_all()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, "capi-upgrade.service { listen = \"127.0.0.1:7000\", http = \"127.0.0.1:7001\" }");
        var env = new Dictionary<string, string>
        {
            [ServiceConfiguration.ConfigFileEnvironmentVariable] = file,
            [ServiceConfiguration.HoconEnvironmentVariable] = "capi-upgrade.service.http = \"127.0.0.1:7002\"",
        };

        var layered = ServiceOptions.Resolve(new ServiceOptions.Flags(), k => env.GetValueOrDefault(k));
        var flagged = ServiceOptions.Resolve(new ServiceOptions.Flags { Http = "127.0.0.1:7003" }, k => env.GetValueOrDefault(k));

        Assert.Equal("127.0.0.1:7000", layered.Listen.ToString());
        Assert.Equal("127.0.0.1:7002", layered.Http.ToString());
        Assert.Equal("127.0.0.1:7003", flagged.Http.ToString());
    }

    [Theory]
    [InlineData("--db", "--postgres", "exclusive")]
    [InlineData("--listen", "nonsense", "HOST:PORT")]
    [InlineData("--token-file", "/nonexistent/token", "does not exist")]
    [InlineData("--kubeconfig", "Bad_Name=/tmp/x", "DNS label")]
    public void Wrong_flags_say_what_to_fix(string flag, string value, string expected)
    {
        var flags = flag switch
        {
            "--db" => new ServiceOptions.Flags { Db = "a.db", Postgres = "Host=x" },
            "--listen" => new ServiceOptions.Flags { Listen = value },
            "--token-file" => new ServiceOptions.Flags { TokenFile = value },
            _ => new ServiceOptions.Flags { Kubeconfigs = [value] },
        };

        var e = Assert.Throws<ServiceStartException>(() => ServiceOptions.Resolve(flags, _ => null));

        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public async Task A_SQLite_journal_is_write_ahead_logged_with_its_snapshots_in_a_file_beside_it()
    {
        // As capi-upgrade run's: readers (the read model, upgrade list) do not block the journal's writer, and a
        // snapshot's write does not hold the journal's file.
        await using var service = await RunningService.StartAsync();
        var journal = Path.Combine(service.Directory, "journal.db");

        Assert.True(File.Exists(Path.Combine(service.Directory, "journal.snapshots.db")));
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={journal};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", await command.ExecuteScalarAsync() as string, ignoreCase: true);
    }
}
