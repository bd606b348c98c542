using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using CapiUpgrade.Core.Upgrades;
using CapiUpgrade.Kubernetes.Api;
using CapiUpgrade.Simulator.Fleet;
using CapiUpgrade.Simulator.Pki;
using static CapiUpgrade.Core.Upgrades.ClusterUpgradeEvents;
using ClusterKey = CapiUpgrade.Core.Upgrades.ClusterKey;

namespace CapiUpgrade.Benchmarks;

/// <summary>
/// `engine [--clusters 200] [--nodes 3] [--etcd simulated|real] [--provision-delay-ms 0] [--jitter-percent 0] [--engine process|in-process] [--warmup 10] [--journal sqlite|postgresql=CONNECTION] [--csv FILE] [--canary]`:
/// upgrades every cluster of a simulated fleet concurrently in one engine (by default in a child process of its
/// own, as in production, where the engine shares neither its thread pool nor its CPU time accounting with the
/// API servers and etcd it drives; the two still share this machine's cores) and prints wall time, Machines replaced per second, API
/// requests per replaced Machine (all requests the simulated API servers served, the simulated CAPI
/// controllers' included), reaction latency from a replacement's Node turning Ready (the instant the workload API
/// server commits its Ready status) to the engine's DELETE of the old Machine applied by the management API server
/// (the instant it commits the deletionTimestamp) p50/p99 with its parts, and peak memory. With --canary, a third
/// process does the least a reaction must do beside the engine (<see cref="CanaryWorker"/>): the floor this machine
/// and fleet put under any reaction while the engine runs.
/// </summary>
public static class EngineBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        int Arg(string name, int fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } v ? int.Parse(v) : fallback;
        var clusters = Arg("--clusters", 200);
        var nodes = Arg("--nodes", 3);
        var delayMs = Arg("--provision-delay-ms", 0);
        // Spread of each provisioning delay, in percent either way (0: every Machine of a step takes exactly the delay).
        var jitterPercent = Arg("--jitter-percent", 0);
        var etcd = args.SkipWhile(a => a != "--etcd").Skip(1).FirstOrDefault() ?? "simulated";
        // Clusters upgraded first, in the same engine, and not counted: the figures are a running engine's, not
        // its first minute's (JIT compilation of every code path then costs the engine a quarter of its CPU).
        // With real etcd each warm-up cluster costs three more etcd processes: 2 by default.
        var warmupClusters = Arg("--warmup", etcd == "real" ? 2 : 10);
        var engineMode = args.SkipWhile(a => a != "--engine").Skip(1).FirstOrDefault() ?? "process";
        if (engineMode is not ("process" or "in-process"))
        {
            Console.Error.WriteLine($"--engine {engineMode}: use process (the engine in a child process, the default) or in-process");
            return 2;
        }
        // A cluster nobody upgrades, for the canary (see CanaryWorker), the fleet's last.
        var withCanary = args.Contains("--canary");
        var dir = Path.Combine(Path.GetTempPath(), "capi-upgrade-bench-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);

        var startup = Stopwatch.StartNew();
        await using var fleet = await SimulatedFleet.StartAsync(new SimulatedFleetOptions
        {
            Clusters = warmupClusters + clusters + (withCanary ? 1 : 0), ControlPlaneReplicas = nodes, Etcd = etcd == "real" ? FleetEtcd.Real : FleetEtcd.Simulated,
            ProvisionDelay = TimeSpan.FromMilliseconds(delayMs), Jitter = jitterPercent / 100.0, RandomSeed = 1, Keys = RsaKeySource.Pooled(16),
        });
        Console.WriteLine($"fleet: {clusters} clusters (+ {warmupClusters} to warm the engine up, not counted) × {nodes} control-plane nodes, etcd {fleet.EtcdMode}, provision delay {delayMs} ms ± {jitterPercent}%, engine {(engineMode == "process" ? "in its own process" : "in this process")}, started in {startup.Elapsed.TotalSeconds:F1} s");
        var kubeconfig = Path.Combine(dir, "management.kubeconfig");
        await fleet.WriteKubeconfigAsync(kubeconfig);

        // The instants, as each API server commits them: a Node turns Ready, all static pods of a Node are Ready
        // (every workload API server's store), a Machine's status.nodeRef appears (the simulated CAPI Machine
        // controller's part of the chain) and an old Machine's deletionTimestamp is set (the engine's DELETE applied).
        // Taken in the store's commit (ObjectStore.OnCommit), not by watches: a watch's reader, a task on this busy
        // process's thread pool, added its own delay to both ends of each reaction.
        var nodeReadyAt = new ConcurrentDictionary<string, DateTimeOffset>();
        var podsReadyAt = new ConcurrentDictionary<string, DateTimeOffset>();
        var nodeRefAt = new ConcurrentDictionary<string, DateTimeOffset>();
        var deletionAt = new ConcurrentDictionary<string, DateTimeOffset>();
        foreach (var c in fleet.Clusters.Skip(warmupClusters))
            TimeWorkloadCommits(c, nodeReadyAt, podsReadyAt);
        TimeMachineCommits(fleet.Management, nodeRefAt, deletionAt);

        var servers = fleet.Clusters.Take(warmupClusters + clusters).Select(c => c.ApiServer.Requests).Prepend(fleet.Management.Requests).ToList();
        // The journal: a SQLite file (the default) or, with --journal postgresql=CONNECTION (a server, e.g.
        // Host=127.0.0.1;Port=55432;Username=postgres as tests/run-all.sh starts it), a new database on it.
        var journalArg = args.SkipWhile(a => a != "--journal").Skip(1).FirstOrDefault() ?? "sqlite";
        string journal;
        if (journalArg.StartsWith("postgresql=", StringComparison.Ordinal))
        {
            journal = EngineWorker.PostgresPrefix + await Tests.Shared.PostgresTestDatabase.CreateAsync(journalArg["postgresql=".Length..], "capi_bench_");
            Console.WriteLine($"journal: PostgreSQL, database {new Npgsql.NpgsqlConnectionStringBuilder(journal[EngineWorker.PostgresPrefix.Length..]).Database}");
        }
        else if (journalArg == "sqlite")
            journal = Path.Combine(dir, "journal.db");
        else
        {
            Console.Error.WriteLine($"--journal {journalArg}: use sqlite (a file, the default) or postgresql=CONNECTION (a server to create the benchmark's database on)");
            return 2;
        }
        var keys = fleet.Clusters.Take(warmupClusters + clusters).Select(c => new ClusterKey(c.Namespace, c.Name)).ToList();
        using var canary = withCanary ? CanaryWorker.Running.Start(kubeconfig, new ClusterKey(fleet.Clusters[^1].Namespace, fleet.Clusters[^1].Name)) : null;
        if (canary is not null) await canary.BaselineAsync();
        var (warmupKeys, measuredKeys) = (keys[..warmupClusters], keys[warmupClusters..]);
        var child = new EngineWorker.ChildFigures();
        var worldCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var machine = MachineCpu.Now();
        var worldGc = GcFigures.Now();
        using var stalls = StallLog.StartIfAsked("fleet");
        var wall = Stopwatch.StartNew();
        var progress = engineMode == "process"
            ? EngineWorker.ChildProcessAsync(kubeconfig, journal, warmupKeys, measuredKeys, "v1.30.2", child)
            : EngineWorker.InProcessAsync(kubeconfig, journal, warmupKeys, measuredKeys, "v1.30.2");
        var finished = new Dictionary<string, BenchProgress>();
        var deleteStartedAt = new Dictionary<(string, string), DateTimeOffset>();
        var readySeenAt = new Dictionary<(string, string), DateTimeOffset>();
        var replacementNode = new Dictionary<(string, string), string>();
        var lastReport = Stopwatch.StartNew();
        var lastProgress = Stopwatch.StartNew();
        using var stallProbe = new Timer(_ =>
        {
            Console.WriteLine($"  [{wall.Elapsed.TotalSeconds:F0} s] threads {ThreadPool.ThreadCount} ({ThreadPool.PendingWorkItemCount} queued), "
                              + $"management watch backlog: {string.Join(" ", fleet.Management.Store.WatchBacklog().Select(b => $"{b.Resource}:{b.Pending}"))}");
            // No progress for a while: say what the simulated Machine controller last failed at.
            if (lastProgress.Elapsed > TimeSpan.FromSeconds(30))
                foreach (var error in fleet.Controller.Errors.TakeLast(5)) Console.WriteLine($"    machine controller: {error}");
        }, null, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20));
        var latest = new Dictionary<string, BenchProgress>();
        await foreach (var p in progress)
        {
            lastProgress.Restart();
            if (p.IsWarmedUpMarker)
            {
                foreach (var counter in servers) counter.Reset();
                fleet.EtcdServer?.Rpcs.Clear();
                worldCpu = Process.GetCurrentProcess().TotalProcessorTime;
                machine = MachineCpu.Now();
                worldGc = GcFigures.Now();
                wall.Restart();
                Console.WriteLine($"  engine warmed up ({warmupClusters} clusters upgraded); measuring");
                if (canary is not null) await canary.MeasureAsync();
                continue;
            }
            latest[p.Cluster] = p;
            if (lastReport.Elapsed > TimeSpan.FromSeconds(15))
            {
                lastReport.Restart();
                Console.WriteLine($"  {wall.Elapsed.TotalSeconds:F0} s: {finished.Count}/{clusters} finished, {latest.Values.Sum(s => s.MachinesReplaced)} Machines replaced, "
                                  + $"threads {ThreadPool.ThreadCount} ({ThreadPool.PendingWorkItemCount} queued), "
                                  + $"RSS {Environment.WorkingSet / (1024 * 1024)} MiB{(child.Process is { } e ? $" + engine {WorkingSetMiB(e)} MiB" : "")}, GC heap {GC.GetTotalMemory(false) / (1024 * 1024)} MiB, "
                                  + $"simulator watches: management {fleet.Management.Store.WatcherCount} ({string.Join(" ", fleet.Management.Store.WatchBacklog().Select(b => $"{b.Resource}:{b.Pending}"))} pending), "
                                  + $"workload {fleet.Clusters.Sum(c => c.ApiServer.Store.WatcherCount)} ({fleet.Clusters.Sum(c => c.ApiServer.Store.PendingWatchEvents)} pending); steps now: "
                                  + string.Join(", ", latest.Values.Where(s => s.CurrentStep is not null).GroupBy(s => s.CurrentStep!.Split(' ')[0]).OrderByDescending(g => g.Count()).Take(5).Select(g => $"{g.Key} ×{g.Count()}")));
            }
            foreach (var (old, node) in p.ReplacementNodes)
                replacementNode[(p.Cluster, old)] = node;
            if (p is { Event: nameof(StepSucceeded), Step: nameof(UpgradeStep.AwaitReplacementReady), Machine: { } ready })
                readySeenAt[(p.Cluster, ready)] = p.At;
            if (p is { Event: nameof(StepStarted), Step: nameof(UpgradeStep.DeleteOldMachine), Attempt: 0, Machine: { } deleting })
                deleteStartedAt[(p.Cluster, deleting)] = p.At;
            if (p.Done) finished[p.Cluster] = p;
        }
        wall.Stop();
        var machineBusy = MachineCpu.Now().BusyShareSince(machine);
        if (canary is not null) await canary.StopAndReportAsync();
        foreach (var server in fleet.Clusters.Select(c => c.ApiServer).Prepend(fleet.Management)) server.Store.OnCommit = null;

        // Reaction as the issue defines it: the replacement's Node turning Ready → the engine's DELETE of the old
        // Machine reaching the API server (its deletionTimestamp), the request the readiness unlocks. The engine may
        // not act on the Node alone: it also waits for the Node's static pods Ready (the kubelet's status report;
        // the etcd member is promoted before both by the simulated kubeadm join). It does not need the Machine's
        // status.nodeRef: it finds the Node by the Machine's providerID, set when the infrastructure was ready. The
        // engine's own reaction is from the later of the Node's and its static pods' Ready at the API server.
        var reactions = new List<double>();
        var preconditionParts = new List<double>();
        var ownReactions = new List<double>();
        var waitParts = new List<double>();
        var requestParts = new List<double>();
        var csvPath = args.SkipWhile(a => a != "--csv").Skip(1).FirstOrDefault();
        var csv = new List<string> { "cluster,machine,node,node_ready_at,reaction_ms,node_ref_ms,pods_ready_ms,own_reaction_ms,engine_wait_ms,request_ms" };
        foreach (var ((cluster, old), node) in replacementNode)
        {
            var ns = cluster.Split('/')[0];
            if (!nodeReadyAt.TryGetValue(cluster + "/" + node, out var readyAt) || !deletionAt.TryGetValue(ns + "/" + old, out var deleteAt)) continue;
            reactions.Add((deleteAt - readyAt).TotalMilliseconds);
            if (nodeRefAt.TryGetValue(ns + "/" + node, out var refAt) && podsReadyAt.TryGetValue(cluster + "/" + node, out var podsAt)
                && readySeenAt.TryGetValue((cluster, old), out var seenAt) && deleteStartedAt.TryGetValue((cluster, old), out var startedAt))
            {
                var last = podsAt > readyAt ? podsAt : readyAt;
                preconditionParts.Add((last - readyAt).TotalMilliseconds);
                ownReactions.Add((deleteAt - last).TotalMilliseconds);
                waitParts.Add((seenAt - last).TotalMilliseconds);
                requestParts.Add((deleteAt - seenAt).TotalMilliseconds);
                csv.Add(FormattableString.Invariant($"{cluster},{old},{node},{readyAt:O},{(deleteAt - readyAt).TotalMilliseconds:F1},{(refAt - readyAt).TotalMilliseconds:F1},{(podsAt - readyAt).TotalMilliseconds:F1},{(deleteAt - last).TotalMilliseconds:F1},{(seenAt - last).TotalMilliseconds:F1},{(deleteAt - seenAt).TotalMilliseconds:F1}"));
            }
        }

        if (csvPath is not null) await File.WriteAllLinesAsync(csvPath, csv);
        var replaced = finished.Values.Sum(s => s.MachinesReplaced);
        var requests = servers.Sum(c => c.Total);
        var engineRequests = servers.Sum(c => c.ByAgent(KubernetesClients.UserAgentProduct));
        var engineDetail = servers.SelectMany(c => c.SnapshotOf(KubernetesClients.UserAgentProduct))
            .GroupBy(p => p.Key).Select(g => (g.Key, Count: g.Sum(p => p.Value))).OrderByDescending(p => p.Count).ToList();
        var failed = finished.Values.Where(s => !s.Succeeded).ToList();
        static double Pct(List<double> values, double q)
        {
            values.Sort();
            return Percentile.NearestRank(values, q);
        }
        double P(double q) => Pct(reactions, q);
        Console.WriteLine($"upgrades: {finished.Count - failed.Count} succeeded, {failed.Count} not ({string.Join("; ", failed.Take(3).Select(f => f.Cluster + ": " + f.Phase + " " + f.PauseReason))})");
        Console.WriteLine($"wall time: {wall.Elapsed.TotalSeconds:F1} s for {replaced} Machines replaced = {replaced / wall.Elapsed.TotalSeconds:F1} Machines/s");
        var canaryNote = withCanary ? " (the canary's included: it is the engine's code)" : "";
        Console.WriteLine($"API requests per replaced Machine, the engine's (User-Agent {KubernetesClients.UserAgentProduct}){canaryNote}: {(double)engineRequests / Math.Max(1, replaced):F1} ({engineRequests} requests)");
        Console.WriteLine($"  by verb and resource: {string.Join(", ", engineDetail.Select(p => $"{p.Key.Verb} {p.Key.Resource} {(double)p.Count / Math.Max(1, replaced):F1}"))}");
        Console.WriteLine($"API requests per replaced Machine, all clients (simulated CAPI controllers included): {(double)requests / Math.Max(1, replaced):F1} ({requests} requests)");
        var otherDetail = servers.SelectMany(c => c.Agents().Keys.Where(a => a != KubernetesClients.UserAgentProduct).SelectMany(a => c.SnapshotOf(a).Select(p => (Key: $"{a} {p.Key.Verb} {p.Key.Resource}", p.Value))))
            .GroupBy(p => p.Key).Select(g => (g.Key, Count: g.Sum(p => p.Value))).OrderByDescending(p => p.Count).Take(12);
        Console.WriteLine($"  the others' by agent, verb and resource: {string.Join(", ", otherDetail.Select(p => $"{p.Key} {(double)p.Count / Math.Max(1, replaced):F1}"))}");
        if (fleet.EtcdServer is { } etcdServer)
        {
            // The engine's client certificate is minted with EtcdClientCertificate's default common name.
            var engineCaller = "CN=" + Kubernetes.Certificates.EtcdClientCertificate.DefaultCommonName;
            var engineRpcs = etcdServer.Rpcs.Where(r => r.Key.Caller == engineCaller).OrderByDescending(r => r.Value).ToList();
            Console.WriteLine($"etcd RPCs per replaced Machine, the engine's{canaryNote}: {(double)engineRpcs.Sum(r => r.Value) / Math.Max(1, replaced):F1} ({string.Join(", ", engineRpcs.Select(r => $"{r.Key.Method} {(double)r.Value / Math.Max(1, replaced):F1}"))}); "
                              + $"the simulated kubeadm's: {(double)etcdServer.Rpcs.Where(r => r.Key.Caller != engineCaller).Sum(r => r.Value) / Math.Max(1, replaced):F1}");
        }
        Console.WriteLine($"reaction Node Ready → the engine's DELETE of the old Machine at the API server: p50 {P(0.5):F1} ms, p99 {P(0.99):F1} ms, max {(reactions.Count > 0 ? reactions[^1] : double.NaN):F1} ms over {reactions.Count} replacements"
                          + (reactions.Count is > 0 and < 100 ? $" (under 100 reactions the p99 is the slowest one: one pause decides it)" : ""));
        Console.WriteLine($"  of which: Node Ready → its static pods Ready at the API server too (the simulated kubelet's part) p50 {Pct(preconditionParts, 0.5):F1} / p99 {Pct(preconditionParts, 0.99):F1} ms");
        Console.WriteLine($"engine's own reaction, Node and static pods Ready → the DELETE at the API server: p50 {Pct(ownReactions, 0.5):F1} ms, p99 {Pct(ownReactions, 0.99):F1} ms over {ownReactions.Count} replacements");
        Console.WriteLine($"  of which: → engine's wait satisfied (watch delivery, etcd health check) p50 {Pct(waitParts, 0.5):F1} / p99 {Pct(waitParts, 0.99):F1} ms; "
                          + $"→ DELETE at the API server (outcome and intent persisted, gate, request) p50 {Pct(requestParts, 0.5):F1} / p99 {Pct(requestParts, 0.99):F1} ms");
        worldCpu = Process.GetCurrentProcess().TotalProcessorTime - worldCpu;
        if (engineMode == "process")
        {
            Console.WriteLine($"engine process: CPU {child.CpuSeconds:F1} s ({child.CpuSeconds / Math.Max(1, replaced) * 1000:F0} ms per replaced Machine, {child.CpuSeconds / wall.Elapsed.TotalSeconds * 100:F0}% of one core), peak working set {child.PeakWorkingSetMiB} MiB, {child.Gc?.Describe()}");
            Console.WriteLine($"simulated fleet (this process): CPU {worldCpu.TotalSeconds:F1} s, peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024)} MiB, {GcFigures.Now().Since(worldGc).Describe()}");
        }
        else
            Console.WriteLine($"engine and simulated fleet in this process: CPU {worldCpu.TotalSeconds:F1} s, peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024)} MiB; GC heap now {GC.GetTotalMemory(false) / (1024 * 1024)} MiB");
        Console.WriteLine($"the machine: {machineBusy * 100:F0}% of its {Environment.ProcessorCount} cores busy in the measured window (every process: the engine, the simulated fleet{(fleet.EtcdMode == Simulator.Etcd.EtcdMode.Real ? ", its etcd processes" : "")}{(withCanary ? ", the canary" : "")})");
        if (journalArg == "sqlite") PrintJournalFigures(journal, replaced);
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        return failed.Count == 0 ? 0 : 1;
    }

    /// <summary>What the journal holds after the run (warm-up included): rows, payload bytes, by serializer.</summary>
    private static void PrintJournalFigures(string path, int replaced)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False;Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT identifier, count(*), sum(length(message)) FROM journal GROUP BY identifier";
        using var reader = command.ExecuteReader();
        var parts = new List<string>();
        while (reader.Read())
            parts.Add($"serializer {reader.GetInt64(0)}: {reader.GetInt64(1)} events, {reader.GetInt64(2) / (double)reader.GetInt64(1):F0} bytes each");
        Console.WriteLine($"journal (warm-up included; {replaced} Machines measured): {string.Join("; ", parts)}");
    }

    private static long WorkingSetMiB(Process p)
    {
        try { p.Refresh(); return p.WorkingSet64 / (1024 * 1024); }
        catch (InvalidOperationException) { return 0; }
    }

    private static bool IsReady(JsonObject obj) =>
        obj["status"]?["conditions"] is JsonArray conditions && conditions.Any(x => x?["type"]?.GetValue<string>() == "Ready" && x["status"]?.GetValue<string>() == "True");

    /// <summary>Records, as the management API server commits them, when a Machine's status.nodeRef appears and when its deletionTimestamp is set.</summary>
    private static void TimeMachineCommits(Simulator.ApiServer.KubeApiServer management, ConcurrentDictionary<string, DateTimeOffset> nodeRefAt, ConcurrentDictionary<string, DateTimeOffset> deletionAt)
    {
        var machineType = management.Registry.FindByKind("cluster.x-k8s.io/v1beta1", "Machine")!;
        management.Store.OnCommit = (type, _, machine) =>
        {
            if (type != machineType) return;
            var now = DateTimeOffset.UtcNow;
            var ns = machine["metadata"]?["namespace"]?.GetValue<string>();
            if (machine["status"]?["nodeRef"]?["name"]?.GetValue<string>() is { } node) nodeRefAt.TryAdd(ns + "/" + node, now);
            if (machine["metadata"]?["deletionTimestamp"] is not null && machine["metadata"]?["name"]?.GetValue<string>() is { } name) deletionAt.TryAdd(ns + "/" + name, now);
        };
    }

    /// <summary>
    /// Records, as the cluster's API server commits them, when a Node turns Ready and when the last of its static
    /// pods (<see cref="WorkloadObjects.StaticPodComponents"/>) turns Ready.
    /// </summary>
    private static void TimeWorkloadCommits(SimulatedCluster c, ConcurrentDictionary<string, DateTimeOffset> nodeReadyAt, ConcurrentDictionary<string, DateTimeOffset> podsReadyAt)
    {
        var nodeType = c.ApiServer.Registry.FindByKind("v1", "Node")!;
        var podType = c.ApiServer.Registry.FindByKind("v1", "Pod")!;
        var readyComponents = new Dictionary<string, HashSet<string>>(); // read and written under the store's lock only
        c.ApiServer.Store.OnCommit = (type, eventType, obj) =>
        {
            if (eventType == Simulator.ApiServer.Storage.WatchEventKind.Deleted) return;
            var now = DateTimeOffset.UtcNow;
            if (type == nodeType)
            {
                if (IsReady(obj) && obj["metadata"]?["name"]?.GetValue<string>() is { } name) nodeReadyAt.TryAdd(c.Key + "/" + name, now);
                return;
            }
            if (type != podType || obj["metadata"]?["namespace"]?.GetValue<string>() != "kube-system") return;
            var node = obj["spec"]?["nodeName"]?.GetValue<string>();
            var component = obj["metadata"]?["labels"]?["component"]?.GetValue<string>();
            if (node is null || component is null || !WorkloadObjects.StaticPodComponents.Contains(component)) return;
            if (!readyComponents.TryGetValue(node, out var components)) readyComponents[node] = components = [];
            if (IsReady(obj)) components.Add(component); else components.Remove(component);
            if (components.Count == WorkloadObjects.StaticPodComponents.Length) podsReadyAt.TryAdd(c.Key + "/" + node, now);
        };
    }
}

/// <summary>The whole machine's CPU time, busy and idle, from the first line of /proc/stat (zeros where there is none).</summary>
public sealed record MachineCpu(long Busy, long Idle)
{
    public static MachineCpu Now()
    {
        try
        {
            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]
                .Select(f => long.Parse(f, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            // user nice system idle iowait irq softirq steal ...: idle and iowait are the idle part.
            var idle = fields[3] + fields[4];
            return new MachineCpu(fields.Take(8).Sum() - idle, idle);
        }
        catch (IOException)
        {
            return new MachineCpu(0, 0);
        }
    }

    /// <summary>The share of the machine's time that was busy since <paramref name="start"/> (0 to 1).</summary>
    public double BusyShareSince(MachineCpu start)
    {
        var (busy, idle) = (Busy - start.Busy, Idle - start.Idle);
        return busy + idle == 0 ? double.NaN : (double)busy / (busy + idle);
    }
}
