using System.Diagnostics;
using System.Globalization;
using CapiUpgrade.Simulator.Etcd;
using CapiUpgrade.Simulator.Fleet;

namespace CapiUpgrade.Benchmarks;

/// <summary>
/// Start-up time and memory of simulated fleets: 10 clusters with real etcd, 2,000 with simulated etcd.
/// `dotnet run -c Release --project tests/CapiUpgrade.Benchmarks -- fleet [real-clusters] [simulated-clusters]`.
/// </summary>
public static class FleetBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var realClusters = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        var simulatedClusters = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2000;
        Console.WriteLine($"fleet benchmark on {Environment.ProcessorCount} cores");
        if (realClusters > 0)
        {
            if (RealEtcdCluster.IsAvailable()) await MeasureAsync(realClusters, FleetEtcd.Real);
            else Console.WriteLine("real etcd: skipped, no `etcd` on PATH (apt-get install etcd-server)");
        }
        if (simulatedClusters > 0) await MeasureAsync(simulatedClusters, FleetEtcd.Simulated);
        return 0;
    }

    private static async Task MeasureAsync(int clusters, FleetEtcd etcd)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var rssBefore = Process.GetCurrentProcess().WorkingSet64;
        var watch = Stopwatch.StartNew();
        await using var fleet = await SimulatedFleet.StartAsync(new SimulatedFleetOptions { Clusters = clusters, Etcd = etcd });
        var startup = watch.Elapsed;
        var managed = GC.GetTotalMemory(forceFullCollection: true) - before;
        var rss = Process.GetCurrentProcess().WorkingSet64 - rssBefore;
        var objects = fleet.Management.Store.ObjectCount + fleet.Clusters.Sum(c => c.ApiServer.Store.ObjectCount);
        long etcdRss = 0;
        if (etcd == FleetEtcd.Real)
            etcdRss = Process.GetProcessesByName("etcd").Sum(p => { try { return p.WorkingSet64; } catch (InvalidOperationException) { return 0L; } });
        Console.WriteLine($"{clusters} clusters, etcd {fleet.EtcdMode.ToString().ToLowerInvariant()} ({clusters * fleet.Options.ControlPlaneReplicas} members):");
        Console.WriteLine($"  start-up           {startup.TotalSeconds,8:F1} s  ({startup.TotalMilliseconds / clusters:F1} ms per cluster)");
        foreach (var (phase, time) in fleet.StartupPhases) Console.WriteLine($"    {phase,-16} {time.TotalSeconds,8:F1} s");
        Console.WriteLine($"  objects stored     {objects,8}");
        Console.WriteLine($"  managed heap       {managed / 1048576.0,8:F1} MiB ({managed / 1024.0 / clusters:F1} KiB per cluster)");
        Console.WriteLine($"  process RSS growth {rss / 1048576.0,8:F1} MiB");
        if (etcdRss > 0) Console.WriteLine($"  etcd processes RSS {etcdRss / 1048576.0,8:F1} MiB");
        watch.Restart();
        await fleet.DisposeAsync();
        Console.WriteLine($"  shutdown           {watch.Elapsed.TotalSeconds,8:F1} s");
    }
}
