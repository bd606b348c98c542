using System.Threading.Channels;
using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using CapiUpgrade.Actors.ClusterUpgrade;
using CapiUpgrade.Actors.Execution;
using CapiUpgrade.Actors.Persistence;
using CapiUpgrade.Core.Upgrades;
using static CapiUpgrade.Actors.Protocol.ClusterUpgradeReplies;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CapiUpgrade.Cli.Run;

/// <summary>The engine in-process for the one-shot commands: an ActorSystem with the engine's HOCON and journal.</summary>
public sealed class EngineHost : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly Channel<UpgradeProgress> _progress = Channel.CreateUnbounded<UpgradeProgress>();
    private readonly Lazy<IActorRef> _follower;

    private EngineHost(IHost host, ActorSystem system, EngineSettings settings)
    {
        _host = host;
        System = system;
        Settings = settings;
        _follower = new Lazy<IActorRef>(() => system.ActorOf(Props.Create(() => new ProgressChannelActor(_progress.Writer)), "progress"));
    }

    public ActorSystem System { get; }
    public EngineSettings Settings { get; }

    /// <summary>The progress of every upgrade followed with <see cref="Follow"/>, in one channel.</summary>
    public ChannelReader<UpgradeProgress> Progress => _progress.Reader;

    /// <summary>The ClusterUpgradeActor of <paramref name="cluster"/> under its backoff supervisor, named <paramref name="name"/>.</summary>
    public IActorRef UpgradeActor(ClusterKey cluster, IStepExecutorFactory executors, string name) =>
        System.ActorOf(ClusterUpgradeActor.SupervisedProps(cluster, executors, Settings), name);

    /// <summary>Sends the progress of <paramref name="upgrade"/> to <see cref="Progress"/>, across restarts of the actor.</summary>
    public void Follow(IActorRef upgrade, ClusterKey cluster) => _follower.Value.Tell(new ProgressChannelActor.Follow(upgrade, cluster));

    public static async Task<EngineHost> StartAsync(EnginePersistenceOptions persistence, Config? overrides = null, CancellationToken ct = default)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        var quiet = ConfigurationFactory.ParseString("""
            akka.loglevel = ERROR
            akka.stdout-loglevel = ERROR
            akka.log-dead-letters = off
            akka.log-dead-letters-during-shutdown = off
            akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
            """);
        var config = overrides is null ? quiet : overrides.WithFallback(quiet);
        builder.Services.AddAkka("capi-upgrade", akka =>
        {
            akka.WithUpgradeEngineConfig(config);
            akka.WithUpgradeJournal(persistence);
        });
        var host = builder.Build();
        await host.StartAsync(ct);
        var system = host.Services.GetRequiredService<ActorSystem>();
        return new EngineHost(host, system, EngineSettings.FromConfig(system.Settings.Config));
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try { await _host.StopAsync(timeout.Token); }
        catch (OperationCanceledException) { }
        _host.Dispose();
    }
}
