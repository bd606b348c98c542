using System.Diagnostics;
using CapiUpgrade.Kubernetes.Management;

namespace CapiUpgrade.Benchmarks;

/// <summary>
/// `engine-canary KUBECONFIG NAMESPACE/NAME [INTERVAL_MS]`: the floor under the engine's reaction, measured beside it.
/// A process of its own that does nothing but, every INTERVAL_MS (100), the least a reaction must do, one after the
/// other, through the engine's own client code: a request to the cluster's workload API server (where the Node's
/// Ready arrives), the etcd health check safety rule 1 requires before the step, and a request to the management
/// API server (where the DELETE goes). The cluster is one of the fleet's that nobody upgrades: it does not change.
/// The canary does not collect garbage while it counts (see <see cref="Running.Start"/>); what it waits for is the
/// machine and the simulated fleet the engine shares them with. It warms up (200 chains, not counted), then counts
/// 100 chains on the still idle fleet (the baseline, one line), then counts from a line on its standard input
/// until that input closes (one line). A line holds the chain's and each part's latencies, in milliseconds.
/// </summary>
public static class CanaryWorker
{
    private const string ResultPrefix = "#canary ";
    private const string BaselinePrefix = "#baseline ";

    public static async Task<int> RunAsync(string[] args)
    {
        var parts = args[1].Split('/');
        var key = new ClusterKey(parts[0], parts[1]);
        var interval = TimeSpan.FromMilliseconds(args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 100);
        await using var access = ManagementClusterAccess.FromKubeconfigFile(args[0]);
        var workload = await access.Workloads.GetAsync(key, CancellationToken.None);
        var etcd = await access.Etcd.ConnectAsync(key, CancellationToken.None);
        var (api, check, management, chain) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
        for (var i = 0; i < 200; i++) await ChainAsync();
        await CountAsync(BaselinePrefix, 100, CancellationToken.None);
        await Console.In.ReadLineAsync();
        using var stop = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            await Console.In.ReadToEndAsync();
            await stop.CancelAsync();
        });
        await CountAsync(ResultPrefix, int.MaxValue, stop.Token);
        return 0;

        // Runs a chain every interval, `count` times or until cancelled, and prints the figures after `prefix`.
        async Task CountAsync(string prefix, int count, CancellationToken ct)
        {
            foreach (var list in new[] { api, check, management, chain }) list.Clear();
            // A whole gen0 budget for the count (a chain allocates some 300 KiB; a count is a few hundred chains).
            GC.Collect();
            var gc = GcFigures.Now();
            using var timer = new PeriodicTimer(interval);
            try
            {
                for (var i = 0; i < count && await timer.WaitForNextTickAsync(ct); i++) await ChainAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            var self = GcFigures.Now().Since(gc);
            Console.WriteLine(prefix + string.Join(' ', new[] { chain, api, check, management }.Select(Summary)) + " " + self);
        }

        async Task ChainAsync(CancellationToken ct = default)
        {
            var whole = Stopwatch.StartNew();
            var one = Stopwatch.StartNew();
            await workload.ListNodesAsync(ct);
            api.Add(one.Elapsed.TotalMilliseconds);
            one.Restart();
            await etcd.CheckHealthAsync(ct);
            check.Add(one.Elapsed.TotalMilliseconds);
            one.Restart();
            await access.Api.GetAsync(ResourceKind.Cluster, key.Namespace, key.Name, ct);
            management.Add(one.Elapsed.TotalMilliseconds);
            chain.Add(whole.Elapsed.TotalMilliseconds);
        }
    }

    /// <summary>`count/p50/p99/max` of one list of latencies.</summary>
    private static string Summary(List<double> values)
    {
        values.Sort();
        return values.Count == 0
            ? "0/0/0/0"
            : FormattableString.Invariant($"{values.Count}/{Percentile.NearestRank(values, 0.5):F1}/{Percentile.NearestRank(values, 0.99):F1}/{values[^1]:F1}");
    }

    /// <summary>The canary running beside the engine, started by the engine benchmark once the warm-up is done.</summary>
    public sealed class Running : IDisposable
    {
        private readonly Process _process;

        private Running(Process process) => _process = process;

        public static Running Start(string kubeconfig, Core.Upgrades.ClusterKey cluster)
        {
            var self = Environment.ProcessPath ?? "dotnet";
            var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
            // The workstation collector, not the server one this program runs on, with a gen0 budget of 256 MiB (hex):
            // the canary allocates less than that in a run, so it does not collect while it counts — its own
            // collections are not what it is there to measure.
            start.Environment["DOTNET_gcServer"] = "0";
            start.Environment["DOTNET_GCgen0size"] = "0x10000000";
            if (Path.GetFileNameWithoutExtension(self) == "dotnet") start.ArgumentList.Add(typeof(CanaryWorker).Assembly.Location);
            foreach (var a in new[] { "engine-canary", kubeconfig, cluster.Namespace + "/" + cluster.Name }) start.ArgumentList.Add(a);
            return new Running(Process.Start(start) ?? throw new InvalidOperationException("could not start the canary process"));
        }

        /// <summary>Waits for the canary's warm-up and baseline (the fleet idle) to end and prints the baseline.</summary>
        public async Task BaselineAsync()
        {
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
                if (line.StartsWith(BaselinePrefix, StringComparison.Ordinal))
                {
                    Console.WriteLine(Describe("canary on the idle fleet, before the engine starts", line[BaselinePrefix.Length..]));
                    return;
                }
            await _process.WaitForExitAsync();
            throw new InvalidOperationException($"the canary stopped before its baseline (exit code {_process.ExitCode})");
        }

        /// <summary>Has the canary count from now.</summary>
        public async Task MeasureAsync()
        {
            await _process.StandardInput.WriteLineAsync("measure");
            await _process.StandardInput.FlushAsync();
        }

        /// <summary>Stops the canary and prints what it measured.</summary>
        public async Task StopAndReportAsync()
        {
            _process.StandardInput.Close();
            string? result = null;
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
                if (line.StartsWith(ResultPrefix, StringComparison.Ordinal)) result = line[ResultPrefix.Length..];
            await _process.WaitForExitAsync();
            Console.WriteLine(result is null
                ? $"canary: no figures (exit code {_process.ExitCode})"
                : Describe("canary beside the engine (the least a reaction does, in a process of its own)", result));
        }

        private static string Describe(string what, string result)
        {
            var fields = result.Split(' ');
            static string Latencies(string field)
            {
                var f = field.Split('/');
                return $"p50 {f[1]} / p99 {f[2]} / max {f[3]} ms";
            }
            return $"{what}, every 100 ms, {fields[0].Split('/')[0]} times: whole chain {Latencies(fields[0])}; "
                   + $"workload API request {Latencies(fields[1])}, etcd health check {Latencies(fields[2])}, management API request {Latencies(fields[3])}; "
                   + $"its own {GcFigures.Parse(fields[4]).Describe()}";
        }

        public void Dispose()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.Dispose();
        }
    }
}
