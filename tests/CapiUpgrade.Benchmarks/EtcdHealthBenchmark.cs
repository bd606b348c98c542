using System.Diagnostics;
using CapiUpgrade.Kubernetes.Management;
using CapiUpgrade.Simulator.Fleet;
using CapiUpgrade.Simulator.Pki;

namespace CapiUpgrade.Benchmarks;

/// <summary>
/// `etcd-health [--etcd real|simulated] [--access direct|port-forward] [--checks 2000] [--warmup 1000] [--nodes 3]`: one workload cluster of the simulated fleet and
/// the engine's etcd health check (member list, each member's Status and a linearizable read, side by side) run
/// back to back on an otherwise idle machine: its latency p50/p90/p99/max and CPU per check, to tell what the
/// check costs by itself from what a busy machine adds to it in the `engine` benchmark.
/// </summary>
public static class EtcdHealthBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        int Arg(string name, int fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } v ? int.Parse(v) : fallback;
        var checks = Arg("--checks", 2000);
        // Checks first run and not counted: until the runtime has compiled the gRPC path fully, a check costs twice the CPU.
        var warmup = Arg("--warmup", 1000);
        var nodes = Arg("--nodes", 3);
        var etcd = args.SkipWhile(a => a != "--etcd").Skip(1).FirstOrDefault() ?? "real";
        await using var fleet = await SimulatedFleet.StartAsync(new SimulatedFleetOptions
        {
            Clusters = 1, ControlPlaneReplicas = nodes, Etcd = etcd == "real" ? FleetEtcd.Real : FleetEtcd.Simulated, RandomSeed = 1, Keys = RsaKeySource.Pooled(4),
        });
        var dir = Directory.CreateTempSubdirectory("capi-etcd-health-bench-").FullName;
        var kubeconfig = Path.Combine(dir, "management.kubeconfig");
        await fleet.WriteKubeconfigAsync(kubeconfig);
        // How the members are reached: dialled (the default) or through the workload API server's port-forward.
        var etcdAccess = EtcdAccessNames.Parse(args.SkipWhile(a => a != "--access").Skip(1).FirstOrDefault() ?? EtcdAccessNames.Direct, "--access");
        await using var access = ManagementClusterAccess.FromKubeconfigFile(kubeconfig, options: KubernetesAccessOptions.Default with { EtcdAccess = etcdAccess });
        var cluster = fleet.Clusters[0];
        var members = await access.Etcd.ConnectAsync(new ClusterKey(cluster.Namespace, cluster.Name), CancellationToken.None);
        for (var i = 0; i < warmup; i++) await members.CheckHealthAsync(CancellationToken.None);
        var latencies = new List<double>();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        for (var i = 0; i < checks; i++)
        {
            var one = Stopwatch.StartNew();
            var report = await members.CheckHealthAsync(CancellationToken.None);
            latencies.Add(one.Elapsed.TotalMilliseconds);
            if (report.Members.Count(m => m.Healthy) != nodes) Console.WriteLine($"  check {i}: {report.Members.Count(m => m.Healthy)}/{nodes} healthy");
        }
        var cpuPerCheck = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / checks;
        latencies.Sort();
        Console.WriteLine($"etcd {fleet.EtcdMode} ({etcdAccess}), {nodes} members, {checks} health checks back to back in {wall.Elapsed.TotalSeconds:F1} s: "
                          + $"p50 {Percentile.NearestRank(latencies, 0.5):F1} ms, p90 {Percentile.NearestRank(latencies, 0.9):F1} ms, p99 {Percentile.NearestRank(latencies, 0.99):F1} ms, max {latencies[^1]:F1} ms; "
                          + $"this process's CPU {cpuPerCheck:F2} ms per check (the simulated etcd's included when simulated, the simulated API server's forwarding with port-forward)");
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        return 0;
    }
}
