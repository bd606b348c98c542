using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Akka.Actor;
using CapiUpgrade.Actors.ClusterUpgrade;
using CapiUpgrade.Actors.Execution;
using CapiUpgrade.Actors.Persistence;
using CapiUpgrade.Cli.Run;
using CapiUpgrade.Core.Upgrades;
using CapiUpgrade.Kubernetes.Management;
using CapiUpgrade.Simulator.ApiServer.Selectors;
using CapiUpgrade.Simulator.Fleet;
using CapiUpgrade.Simulator.Pki;
using static CapiUpgrade.Actors.Protocol.ClusterUpgradeCommands;
using static CapiUpgrade.Actors.Protocol.ClusterUpgradeReplies;
using static CapiUpgrade.Core.Upgrades.ClusterUpgradeEvents;
using ClusterKey = CapiUpgrade.Core.Upgrades.ClusterKey;

namespace CapiUpgrade.Benchmarks;

/// <summary>
/// `engine [--clusters 200] [--nodes 3] [--etcd simulated|real] [--provision-delay-ms 0]`: upgrades every cluster
/// of a simulated fleet concurrently in one engine and prints wall time, Machines replaced per second, API
/// requests per replaced Machine (all requests the simulated API servers served, the simulated CAPI
/// controllers' included), reaction latency from a replacement's Node turning Ready (seen by an in-process
/// watch on the workload API server's store) to the engine's next step (StepStarted of DeleteOldMachine, right
/// before its first request) p50/p99, and peak memory.
/// </summary>
public static class EngineBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        int Arg(string name, int fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } v ? int.Parse(v) : fallback;
        var clusters = Arg("--clusters", 200);
        var nodes = Arg("--nodes", 3);
        var delayMs = Arg("--provision-delay-ms", 0);
        var etcd = args.SkipWhile(a => a != "--etcd").Skip(1).FirstOrDefault() ?? "simulated";
        var dir = Path.Combine(Path.GetTempPath(), "capi-upgrade-bench-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);

        var startup = Stopwatch.StartNew();
        await using var fleet = await SimulatedFleet.StartAsync(new SimulatedFleetOptions
        {
            Clusters = clusters, ControlPlaneReplicas = nodes, Etcd = etcd == "real" ? FleetEtcd.Real : FleetEtcd.Simulated,
            ProvisionDelay = TimeSpan.FromMilliseconds(delayMs), Jitter = 0, RandomSeed = 1, Keys = RsaKeySource.Pooled(16),
        });
        Console.WriteLine($"fleet: {clusters} clusters × {nodes} control-plane nodes, etcd {fleet.EtcdMode}, provision delay {delayMs} ms, started in {startup.Elapsed.TotalSeconds:F1} s");
        var kubeconfig = Path.Combine(dir, "management.kubeconfig");
        await fleet.WriteKubeconfigAsync(kubeconfig);

        // Node Ready instants, from in-process watches of every workload API server's Nodes.
        var nodeReadyAt = new ConcurrentDictionary<string, DateTimeOffset>();
        using var stopWatches = new CancellationTokenSource();
        var watchers = fleet.Clusters.Select(c => WatchNodesAsync(c, nodeReadyAt, stopWatches.Token)).ToList();

        var requestsBefore = fleet.Management.Requests.Total + fleet.Clusters.Sum(c => c.ApiServer.Requests.Total);
        await using var registry = new ManagementClusterRegistry();
        registry.Add(ManagementClusterAccess.FromKubeconfigFile(kubeconfig));
        var executors = new KubernetesStepExecutorFactory(registry);
        await using var engine = await EngineHost.StartAsync(EnginePersistenceOptions.SqliteFile(Path.Combine(dir, "journal.db")));
        var channel = Channel.CreateUnbounded<UpgradeProgress>();
        var subscriber = engine.System.ActorOf(Props.Create(() => new ProgressChannelActor(channel.Writer)), "progress");

        var wall = Stopwatch.StartNew();
        foreach (var c in fleet.Clusters)
        {
            var key = new ClusterKey(c.Namespace, c.Name);
            var actor = engine.System.ActorOf(ClusterUpgradeActor.SupervisedProps(key, executors, engine.Settings), $"upgrade-{c.Namespace}-{c.Name}");
            actor.Tell(new SubscribeToProgress(key, subscriber));
            actor.Tell(new StartUpgrade(key, "bench", "v1.30.2", UpgradeOptions.Default, "bench"));
        }
        var finished = new Dictionary<string, UpgradeStatus>();
        var reactions = new List<double>();
        var replacementNode = new Dictionary<(string, string), string>();
        await foreach (var p in channel.Reader.ReadAllAsync())
        {
            foreach (var m in p.Status.Machines.Where(m => m.ReplacementNode is not null))
                replacementNode[(p.Cluster.EntityId, m.OldMachine)] = m.ReplacementNode!;
            if (p.Event is StepStarted { Step: UpgradeStep.DeleteOldMachine, Attempt: 0 } s
                && replacementNode.TryGetValue((p.Cluster.EntityId, s.Machine!), out var node)
                && nodeReadyAt.TryGetValue(p.Cluster.EntityId + "/" + node, out var readyAt))
                reactions.Add((s.At - readyAt).TotalMilliseconds);
            if (p.Event is not null && (p.Status.Phase.IsFinished() || p.Status.Phase == UpgradePhase.Paused && p.Status.CurrentStep is null))
            {
                finished[p.Cluster.EntityId] = p.Status;
                if (finished.Count == clusters) break;
            }
        }
        wall.Stop();
        await stopWatches.CancelAsync();

        var replaced = finished.Values.Sum(s => s.MachinesReplaced);
        var requests = fleet.Management.Requests.Total + fleet.Clusters.Sum(c => c.ApiServer.Requests.Total) - requestsBefore;
        var failed = finished.Values.Where(s => s.Phase != UpgradePhase.Succeeded).ToList();
        reactions.Sort();
        double Pct(double q) => reactions.Count == 0 ? double.NaN : reactions[Math.Min(reactions.Count - 1, (int)Math.Ceiling(q * reactions.Count) - 1)];
        Console.WriteLine($"upgrades: {finished.Count - failed.Count} succeeded, {failed.Count} not ({string.Join("; ", failed.Take(3).Select(f => f.Cluster + ": " + f.Phase + " " + f.PauseReason))})");
        Console.WriteLine($"wall time: {wall.Elapsed.TotalSeconds:F1} s for {replaced} Machines replaced = {replaced / wall.Elapsed.TotalSeconds:F1} Machines/s");
        Console.WriteLine($"API requests per replaced Machine: {(double)requests / Math.Max(1, replaced):F1} ({requests} requests served by the simulated API servers, simulated CAPI controllers included)");
        Console.WriteLine($"reaction Node Ready → engine's next step: p50 {Pct(0.5):F1} ms, p99 {Pct(0.99):F1} ms, max {(reactions.Count > 0 ? reactions[^1] : double.NaN):F1} ms over {reactions.Count} replacements");
        Console.WriteLine($"peak memory (working set) of the process (engine + simulator): {Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024)} MiB; GC heap now {GC.GetTotalMemory(false) / (1024 * 1024)} MiB");
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        return failed.Count == 0 ? 0 : 1;
    }

    private static async Task WatchNodesAsync(SimulatedCluster c, ConcurrentDictionary<string, DateTimeOffset> readyAt, CancellationToken ct)
    {
        var store = c.ApiServer.Store;
        var type = c.ApiServer.Registry.FindByKind("v1", "Node")!;
        using var watch = store.Watch(type, null, LabelSelector.Everything, FieldSelector.Everything, null);
        try
        {
            await foreach (var line in watch.Lines.ReadAllAsync(ct))
            {
                var now = DateTimeOffset.UtcNow;
                if (JsonNode.Parse(line)?["object"] is not JsonObject node) continue;
                var name = node["metadata"]?["name"]?.GetValue<string>();
                var ready = node["status"]?["conditions"] is JsonArray conditions && conditions.Any(x => x?["type"]?.GetValue<string>() == "Ready" && x["status"]?.GetValue<string>() == "True");
                if (name is not null && ready) readyAt.TryAdd(c.Key + "/" + name, now);
            }
        }
        catch (OperationCanceledException) { }
    }
}
