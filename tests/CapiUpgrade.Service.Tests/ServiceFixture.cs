using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Hosting;
using CapiUpgrade.Actors.Execution;
using CapiUpgrade.Actors.Protocol;
using CapiUpgrade.Core.Upgrades;
using CapiUpgrade.Cli.Palettes;
using CapiUpgrade.Service.Hosting;
using CapiUpgrade.Service.Upgrades;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CapiUpgrade.Service.Tests;

/// <summary>Captures every log line the service writes (to assert what is and is not logged).</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    public string All => string.Join("\n", Lines);

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)}");
    }
}

/// <summary>A service in this process on loopback ports chosen by the OS, journal in a fresh SQLite file.</summary>
public sealed class RunningService : IAsyncDisposable
{
    public required ServiceHost Host { get; init; }
    public required CapturedLogs Logs { get; init; }
    public required string Directory { get; init; }

    public string CommandEndpoint => $"127.0.0.1:{Host.CommandEndpoint.Port}";
    public Uri HttpBase => new($"http://127.0.0.1:{Host.HttpEndpoint.Port}/");

    /// <param name="hocon">HOCON text layered over the defaults, as CAPI_UPGRADE_HOCON would be.</param>
    public static async Task<RunningService> StartAsync(string? token = null, string? directory = null, IStepExecutorFactory? executors = null, string? postgres = null, string? hocon = null)
    {
        directory ??= Path.Combine(Path.GetTempPath(), "capi-upgrade-service-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        string? tokenFile = null;
        if (token is not null)
        {
            tokenFile = Path.Combine(directory, "token");
            await File.WriteAllTextAsync(tokenFile, token + "\n");
        }
        var options = ServiceOptions.Resolve(new ServiceOptions.Flags
        {
            Db = postgres is null ? Path.Combine(directory, "journal.db") : null,
            Postgres = postgres,
            Listen = "127.0.0.1:0",
            Http = "127.0.0.1:0",
            TokenFile = tokenFile,
        }, name => name == "CAPI_UPGRADE_HOCON" ? hocon : null);
        var logs = new CapturedLogs();
        var host = ServiceHost.Build(options, executors, l => l.AddProvider(logs));
        await host.StartAsync();
        return new RunningService { Host = host, Logs = logs, Directory = directory };
    }

    /// <summary>The shard region of the sharded ClusterUpgradeActors.</summary>
    public async Task<IActorRef> UpgradeRegionAsync() =>
        await Host.Services.GetRequiredService<IRequiredActor<ClusterUpgradeRegion>>().GetAsync();

    /// <summary>Starts an upgrade of <paramref name="cluster"/> to v1.30.2 through the shard region; it must be accepted.</summary>
    public async Task StartUpgradeAsync(ClusterKey cluster, string upgradeId)
    {
        var reply = await (await UpgradeRegionAsync()).Ask<object>(new ClusterUpgradeCommands.StartUpgrade(cluster, upgradeId, "v1.30.2", UpgradeOptions.Default, "test"), TimeSpan.FromSeconds(30));
        Assert.IsType<ClusterUpgradeReplies.CommandAccepted>(reply);
    }

    /// <summary>Runs the real client (`capi-upgrade HOST:PORT palette command ...`) and captures its output.</summary>
    public async Task<(int Code, string Out, string Err)> CliAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await PaletteCli.RunAsync([CommandEndpoint, .. args], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        await Host.DisposeAsync();
    }
}

public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes (then fails with <paramref name="what"/>).</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await condition()) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not true within {timeout}: {what}");
            await Task.Delay(100);
        }
    }
}
