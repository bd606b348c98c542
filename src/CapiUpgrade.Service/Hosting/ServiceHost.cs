using System.Net;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Persistence.Sql.Config;
using Akka.Persistence.Sql.Hosting;
using Akka.Remote.Hosting;
using CapiUpgrade.Actors.ClusterUpgrade;
using CapiUpgrade.Actors.Execution;
using CapiUpgrade.Actors.Persistence;
using CapiUpgrade.Service.Campaigns;
using CapiUpgrade.Service.Commands;
using CapiUpgrade.Service.Upgrades;
using CapiUpgrade.Service.Endpoint;
using CapiUpgrade.Service.Http;
using CapiUpgrade.Service.Metrics;
using CapiUpgrade.Service.ReadModel;
using CapiUpgrade.Service.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace CapiUpgrade.Service.Hosting;

/// <summary>
/// <c>capi-upgrade serve</c>: Kestrel (command endpoint + HTTP API), an Akka.NET cluster of one
/// with sharding and SQL persistence, the read model. Runs until SIGTERM/Ctrl-C, then shuts down
/// through CoordinatedShutdown.
/// </summary>
public sealed class ServiceHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ListenOptions[] _listeners;

    private ServiceHost(WebApplication app, ListenOptions[] listeners, ServiceOptions options)
    {
        _app = app;
        _listeners = listeners;
        Options = options;
    }

    public ServiceOptions Options { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>The bound command endpoint (the real port when 0 was asked).</summary>
    public IPEndPoint CommandEndpoint => (IPEndPoint)_listeners[0].EndPoint;

    public IPEndPoint HttpEndpoint => (IPEndPoint)_listeners[1].EndPoint;

    /// <param name="executorsOverride">Tests only: other step executors than the engine's over the management clusters.</param>
    public static ServiceHost Build(ServiceOptions options, IStepExecutorFactory? executorsOverride = null, Action<ILoggingBuilder>? configureLogging = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (configureLogging is not null) configureLogging(builder.Logging);
        else builder.Logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);

        var listeners = new ListenOptions[2];
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(options.Listen.EndPoint, listen =>
            {
                listen.UseConnectionHandler<CommandEndpointHandler>();
                listeners[0] = listen;
            });
            kestrel.Listen(options.Http.EndPoint, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listeners[1] = listen;
            });
        });
        builder.Host.ConfigureHostOptions(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));

        var settings = options.Hocon.GetConfig("capi-upgrade.service");
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<ServiceMetrics>();
        builder.Services.AddSingleton(sp => new TokenGuard(options.Token, sp.GetRequiredService<ServiceMetrics>(), sp.GetRequiredService<ILogger<TokenGuard>>()));
        builder.Services.AddSingleton(new FleetView(settings.GetInt("read-model.last-events", 50), settings.GetInt("read-model.tail-buffer", 1000)));
        builder.Services.AddSingleton(new ReadModelCheckpointSettings(
            settings.GetInt("read-model.checkpoint-every", ReadModelCheckpointSettings.Default.EveryEvents),
            settings.GetTimeSpan("read-model.checkpoint-interval", ReadModelCheckpointSettings.Default.MinInterval)));
        builder.Services.AddSingleton<CommandDispatcher>();
        builder.Services.AddServicePalettes();
        builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter(ServiceMetrics.MeterName)
            .AddPrometheusExporter());

        var engine = new EngineWiring(options, executorsOverride);
        builder.Services.AddSingleton(engine);
        builder.Services.AddSingleton(engine.Executors);
        builder.Services.AddAkka("capi-upgrade", (akka, sp) => akka.AddCapiUpgradeService(options, sp));

        var app = builder.Build();
        app.UseTokenAuthentication();
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapCommandApi();
        var host = new ServiceHost(app, listeners, options);
        var view = app.Services.GetRequiredService<FleetView>();
        var metrics = app.Services.GetRequiredService<ServiceMetrics>();
        metrics.ObservePhases(view.UpgradesByPhase, view.CampaignsByPhase);
        var projection = app.Services.GetRequiredService<ReadModelProjection>();
        metrics.ObserveReadModel(() => projection.FoldedSinceStart, () => projection.CaughtUp.IsCompletedSuccessfully);
        return host;
    }

    public Task StartAsync(CancellationToken cancellationToken = default) => _app.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    public string ReadyLine() =>
        $"capi-upgrade service ready: commands on {CommandEndpoint}, HTTP on http://{HttpEndpoint}, journal {(Options.Persistence == PersistenceProvider.Sqlite ? "sqlite " + Options.SqliteFile : "postgresql")}" +
        (Options.Token is null ? "" : ", token required") +
        $", management clusters: {(Options.ManagementClusters.Count == 0 ? "none" : string.Join(", ", Options.ManagementClusters.Select(m => m.Name)))}";

    /// <summary>Runs until SIGTERM or Ctrl-C. Returns the process exit code.</summary>
    public static async Task<int> RunAsync(ServiceOptions.Flags flags, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        ServiceOptions options;
        try
        {
            options = ServiceOptions.Resolve(flags);
        }
        catch (ServiceStartException e)
        {
            await stderr.WriteLineAsync("capi-upgrade serve: " + e.Message);
            return 2;
        }
        ServiceHost host;
        try
        {
            host = Build(options);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // e.g. a kubeconfig KubernetesClient cannot use (no credentials for its user)
            await stderr.WriteLineAsync("capi-upgrade serve: cannot start: " + e.Message +
                (options.ManagementClusters.Count > 0 ? $" (--kubeconfig {string.Join(", ", options.ManagementClusters.Select(m => m.Name + "=" + m.KubeconfigFile))})" : ""));
            return 2;
        }
        await using var _ = host;
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            await stderr.WriteLineAsync($"capi-upgrade serve: cannot bind {options.Listen} / {options.Http}: {e.Message}; another service may be running (pick other ports with --listen/--http)");
            return 2;
        }
        await stdout.WriteLineAsync(host.ReadyLine());
        await stdout.FlushAsync(cancellationToken);
        await host.WaitForShutdownAsync(cancellationToken);
        return 0;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>The Akka.NET side of the service, as <see cref="AkkaConfigurationBuilder"/> extensions.</summary>
public static class ServiceAkkaWiring
{
    public static AkkaConfigurationBuilder AddCapiUpgradeService(this AkkaConfigurationBuilder akka, ServiceOptions options, IServiceProvider services)
    {
        var settings = options.Hocon.GetConfig("capi-upgrade.service");
        akka.AddHocon(options.Hocon, HoconAddMode.Prepend)
            .ConfigureLoggers(l =>
            {
                l.ClearLoggers();
                l.AddLoggerFactory();
            })
            .WithRemoting(settings.GetString("cluster.hostname", "127.0.0.1"), settings.GetInt("cluster.port", 0))
            .WithClustering(new ClusterOptions { SeedNodes = settings.GetStringList("cluster.seed-nodes")?.ToArray() ?? [] })
            .WithServicePersistence(options)
            .WithClusterUpgradeShards(services.GetRequiredService<IStepExecutorFactory>(),
                EngineSettings.FromConfig(options.Hocon) with { PassivateFinishedAfter = settings.GetTimeSpan("upgrades.passivate-finished-after", TimeSpan.FromMinutes(2)) },
                settings.GetInt("cluster.shard-count", 50))
            .WithCampaignShards(CampaignSettings.FromConfig(options.Hocon), settings.GetInt("cluster.shard-count", 50))
            .AddStartup((system, _) =>
            {
                // A single node is a cluster of one: with no seed nodes configured it joins itself.
                var cluster = Cluster.Get(system);
                if (settings.GetStringList("cluster.seed-nodes") is not { Count: > 0 })
                    cluster.Join(cluster.SelfAddress);
            })
            .WithReadModel(services);
        return akka;
    }

    /// <summary>
    /// The service journals as `capi-upgrade run` does (<see cref="EnginePersistenceExtensions.WithSqlJournal"/>): a SQLite
    /// file in write-ahead-logging mode with one writer and its snapshots beside it, or PostgreSQL.
    /// </summary>
    public static AkkaConfigurationBuilder WithServicePersistence(this AkkaConfigurationBuilder akka, ServiceOptions options)
    {
        var persistence = options.Persistence == PersistenceProvider.Sqlite
            ? EnginePersistenceOptions.SqliteFile(options.SqliteFile)
            : EnginePersistenceOptions.Postgres(options.ConnectionString);
        return akka.WithSqlJournal(persistence);
    }
}
