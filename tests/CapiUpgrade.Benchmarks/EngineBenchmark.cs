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
using CapiUpgrade.Kubernetes.Api;
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
        // Instants a Machine's status.nodeRef appears (the simulated CAPI Machine controller's part of the chain).
        var nodeRefAt = new ConcurrentDictionary<string, DateTimeOffset>();
        watchers.Add(WatchNodeRefsAsync(fleet.Management, nodeRefAt, stopWatches.Token));

        var servers = fleet.Clusters.Select(c => c.ApiServer.Requests).Prepend(fleet.Management.Requests).ToList();
        foreach (var counter in servers) counter.Reset();
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
            subscriber.Tell(new ProgressChannelActor.Follow(actor, key));
            actor.Tell(new StartUpgrade(key, "bench", "v1.30.2", UpgradeOptions.Default, "bench"));
        }
        var finished = new Dictionary<string, UpgradeStatus>();
        var reactions = new List<double>();
        var controllerParts = new List<double>();
        var engineParts = new List<double>();
        var persistParts = new List<double>();
        var readySeenAt = new Dictionary<(string, string), DateTimeOffset>();
        var replacementNode = new Dictionary<(string, string), string>();
        var lastReport = Stopwatch.StartNew();
        using var stallProbe = new Timer(_ => Console.WriteLine($"  [{wall.Elapsed.TotalSeconds:F0} s] threads {ThreadPool.ThreadCount} ({ThreadPool.PendingWorkItemCount} queued), "
            + $"management watch backlog: {string.Join(" ", fleet.Management.Store.WatchBacklog().Select(b => $"{b.Resource}:{b.Pending}"))}"), null, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20));
        var latest = new Dictionary<string, UpgradeStatus>();
        await foreach (var p in channel.Reader.ReadAllAsync())
        {
            latest[p.Cluster.EntityId] = p.Status;
            if (lastReport.Elapsed > TimeSpan.FromSeconds(15))
            {
                lastReport.Restart();
                Console.WriteLine($"  {wall.Elapsed.TotalSeconds:F0} s: {finished.Count}/{clusters} finished, {latest.Values.Sum(s => s.MachinesReplaced)} Machines replaced, "
                                  + $"threads {ThreadPool.ThreadCount} ({ThreadPool.PendingWorkItemCount} queued), "
                                  + $"RSS {Environment.WorkingSet / (1024 * 1024)} MiB, GC heap {GC.GetTotalMemory(false) / (1024 * 1024)} MiB, "
                                  + $"simulator watches: management {fleet.Management.Store.WatcherCount} ({string.Join(" ", fleet.Management.Store.WatchBacklog().Select(b => $"{b.Resource}:{b.Pending}"))} pending), "
                                  + $"workload {fleet.Clusters.Sum(c => c.ApiServer.Store.WatcherCount)} ({fleet.Clusters.Sum(c => c.ApiServer.Store.PendingWatchEvents)} pending); steps now: "
                                  + string.Join(", ", latest.Values.Where(s => s.CurrentStep is not null).GroupBy(s => s.CurrentStep!.Split(' ')[0]).OrderByDescending(g => g.Count()).Take(5).Select(g => $"{g.Key} ×{g.Count()}")));
            }
            foreach (var m in p.Status.Machines.Where(m => m.ReplacementNode is not null))
                replacementNode[(p.Cluster.EntityId, m.OldMachine)] = m.ReplacementNode!;
            if (p.Event is StepSucceeded { Step: UpgradeStep.AwaitReplacementReady } ok)
                readySeenAt[(p.Cluster.EntityId, ok.Machine!)] = ok.At;
            if (p.Event is StepStarted { Step: UpgradeStep.DeleteOldMachine, Attempt: 0 } s
                && replacementNode.TryGetValue((p.Cluster.EntityId, s.Machine!), out var node)
                && nodeReadyAt.TryGetValue(p.Cluster.EntityId + "/" + node, out var readyAt))
            {
                reactions.Add((s.At - readyAt).TotalMilliseconds);
                if (nodeRefAt.TryGetValue(p.Cluster.Namespace + "/" + node, out var refAt) && readySeenAt.TryGetValue((p.Cluster.EntityId, s.Machine!), out var seenAt))
                {
                    controllerParts.Add((refAt - readyAt).TotalMilliseconds);
                    engineParts.Add((seenAt - refAt).TotalMilliseconds);
                    persistParts.Add((s.At - seenAt).TotalMilliseconds);
                }
            }
            if (p.Status.Phase.IsFinished() || p.Status.Phase == UpgradePhase.Paused && p.Status.CurrentStep is null)
            {
                finished[p.Cluster.EntityId] = p.Status;
                if (finished.Count == clusters) break;
            }
        }
        wall.Stop();
        await stopWatches.CancelAsync();

        var replaced = finished.Values.Sum(s => s.MachinesReplaced);
        var requests = servers.Sum(c => c.Total);
        var engineRequests = servers.Sum(c => c.ByAgent(KubernetesClients.UserAgentProduct));
        var engineDetail = servers.SelectMany(c => c.SnapshotOf(KubernetesClients.UserAgentProduct))
            .GroupBy(p => p.Key).Select(g => (g.Key, Count: g.Sum(p => p.Value))).OrderByDescending(p => p.Count).ToList();
        var failed = finished.Values.Where(s => s.Phase != UpgradePhase.Succeeded).ToList();
        static double Pct(List<double> values, double q)
        {
            if (values.Count == 0) return double.NaN;
            values.Sort();
            return values[Math.Min(values.Count - 1, (int)Math.Ceiling(q * values.Count) - 1)];
        }
        double P(double q) => Pct(reactions, q);
        Console.WriteLine($"upgrades: {finished.Count - failed.Count} succeeded, {failed.Count} not ({string.Join("; ", failed.Take(3).Select(f => f.Cluster + ": " + f.Phase + " " + f.PauseReason))})");
        Console.WriteLine($"wall time: {wall.Elapsed.TotalSeconds:F1} s for {replaced} Machines replaced = {replaced / wall.Elapsed.TotalSeconds:F1} Machines/s");
        Console.WriteLine($"API requests per replaced Machine, the engine's (User-Agent {KubernetesClients.UserAgentProduct}): {(double)engineRequests / Math.Max(1, replaced):F1} ({engineRequests} requests)");
        Console.WriteLine($"  by verb and resource: {string.Join(", ", engineDetail.Select(p => $"{p.Key.Verb} {p.Key.Resource} {(double)p.Count / Math.Max(1, replaced):F1}"))}");
        Console.WriteLine($"API requests per replaced Machine, all clients (simulated CAPI controllers included): {(double)requests / Math.Max(1, replaced):F1} ({requests} requests)");
        Console.WriteLine($"reaction Node Ready → engine's next step: p50 {P(0.5):F1} ms, p99 {P(0.99):F1} ms, max {(reactions.Count > 0 ? reactions[^1] : double.NaN):F1} ms over {reactions.Count} replacements");
        Console.WriteLine($"  of which: Node Ready → Machine status.nodeRef (simulated CAPI controller) p50 {Pct(controllerParts, 0.5):F1} / p99 {Pct(controllerParts, 0.99):F1} ms; "
                          + $"nodeRef → engine's wait satisfied p50 {Pct(engineParts, 0.5):F1} / p99 {Pct(engineParts, 0.99):F1} ms; "
                          + $"→ next step started (journal write) p50 {Pct(persistParts, 0.5):F1} / p99 {Pct(persistParts, 0.99):F1} ms");
        Console.WriteLine($"peak memory (working set) of the process (engine + simulator): {Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024)} MiB; GC heap now {GC.GetTotalMemory(false) / (1024 * 1024)} MiB");
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        return failed.Count == 0 ? 0 : 1;
    }

    private static async Task WatchNodeRefsAsync(Simulator.ApiServer.KubeApiServer management, ConcurrentDictionary<string, DateTimeOffset> nodeRefAt, CancellationToken ct)
    {
        var type = management.Registry.FindByKind("cluster.x-k8s.io/v1beta1", "Machine")!;
        using var watch = management.Store.Watch(type, null, LabelSelector.Everything, FieldSelector.Everything, null);
        try
        {
            await foreach (var line in watch.Lines.ReadAllAsync(ct))
            {
                var now = DateTimeOffset.UtcNow;
                if (JsonNode.Parse(line)?["object"] is not JsonObject machine) continue;
                var ns = machine["metadata"]?["namespace"]?.GetValue<string>();
                if (machine["status"]?["nodeRef"]?["name"]?.GetValue<string>() is { } node) nodeRefAt.TryAdd(ns + "/" + node, now);
            }
        }
        catch (OperationCanceledException) { }
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
