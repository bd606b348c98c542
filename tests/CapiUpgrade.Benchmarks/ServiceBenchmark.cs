using System.Diagnostics;
using System.Text.RegularExpressions;
using CapiUpgrade.Cli.Palettes;
using CapiUpgrade.Simulator.Fleet;

namespace CapiUpgrade.Benchmarks;

/// <summary>
/// `service`: latency of `upgrade list` and `campaign show` (the real client over the command endpoint,
/// and the HTTP API) against `capi-upgrade serve` as its own process, upgrading a simulated fleet of
/// 500 clusters (simulated etcd) in a campaign with MAX-CONCURRENT upgrades in flight (default 100), measured once
/// the read model holds an upgrade for every cluster (every cluster started; the last ones still running).
/// Usage: `dotnet run -c Release --project tests/CapiUpgrade.Benchmarks -- service [CLUSTERS] [SAMPLES] [MAX-CONCURRENT]`.
/// </summary>
public static class ServiceBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var clusters = args.Length > 0 ? int.Parse(args[0]) : 500;
        var samples = args.Length > 1 ? int.Parse(args[1]) : 50;
        var concurrency = args.Length > 2 ? int.Parse(args[2]) : 100;
        var directory = Path.Combine(Path.GetTempPath(), "capi-upgrade-service-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var clock = Stopwatch.StartNew();
        await using var fleet = await SimulatedFleet.StartAsync(new SimulatedFleetOptions
        {
            Clusters = clusters,
            ControlPlaneReplicas = 3,
            Version = "v1.29.4",
            Etcd = FleetEtcd.Simulated,
            ProvisionDelay = TimeSpan.FromMilliseconds(500),
            Keys = Simulator.Pki.RsaKeySource.Pooled(8),
            RandomSeed = 1,
        });
        Console.WriteLine($"fleet of {clusters} clusters × 3 control-plane Machines (simulated etcd) started in {clock.Elapsed.TotalSeconds:0.0}s");
        var kubeconfig = Path.Combine(directory, "management.kubeconfig");
        await fleet.WriteKubeconfigAsync(kubeconfig);
        var spec = Path.Combine(directory, "campaign.yaml");
        await File.WriteAllTextAsync(spec, $"name: bench\ntargetVersion: v1.30.2\nwaves:\n  - name: all\n    maxConcurrent: {concurrency}\nfailureBudget: 10%\n");

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "capi-upgrade.dll"), "serve", "--kubeconfig", kubeconfig, "--db", Path.Combine(directory, "journal.db"),
                     "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0" })
            start.ArgumentList.Add(a);
        using var service = Process.Start(start)!;
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        // The service's own output goes to service.log in the benchmark's directory: its warnings are printed at the end.
        var logPath = Path.Combine(directory, "service.log");
        await using var log = new StreamWriter(logPath) { AutoFlush = true };
        void Log(string? line) { if (line is not null) lock (log) log.WriteLine(line); }
        service.OutputDataReceived += (_, e) => { Log(e.Data); if (e.Data?.StartsWith("capi-upgrade service ready", StringComparison.Ordinal) == true) ready.TrySetResult(e.Data); };
        service.ErrorDataReceived += (_, e) => Log(e.Data);
        service.BeginOutputReadLine();
        service.BeginErrorReadLine();
        try
        {
            var line = await ready.Task.WaitAsync(TimeSpan.FromMinutes(2));
            var m = Regex.Match(line, @"commands on (?<cmd>[0-9.]+:\d+), HTTP on http://(?<http>[0-9.]+:\d+)");
            var endpoint = m.Groups["cmd"].Value;
            using var http = new HttpClient { BaseAddress = new Uri($"http://{m.Groups["http"].Value}/") };

            clock.Restart();
            var started = await Cli(endpoint, "campaign", "start", spec);
            if (started.Code != 0) { Console.Error.WriteLine(started.Err); return 1; }
            Console.WriteLine($"campaign start (plan over {clusters} clusters + start): {clock.ElapsedMilliseconds} ms");

            // Let the campaign fill the read model until every cluster has an upgrade in it (at most 20 minutes).
            var filling = Stopwatch.StartNew();
            while (filling.Elapsed < TimeSpan.FromMinutes(20))
            {
                var now = await Cli(endpoint, "upgrade", "list", "-o", "json");
                var rows = now.Code == 0 ? System.Text.Json.JsonDocument.Parse(now.Out).RootElement.GetArrayLength() : -1;
                Console.WriteLine($"  {filling.Elapsed.TotalSeconds:0} s: {rows} upgrade(s) in the read model");
                if (rows >= clusters) break;
                await Task.Delay(TimeSpan.FromSeconds(15));
            }

            var list = await Measure(samples, async () => (await Cli(endpoint, "upgrade", "list")).Code);
            var listJson = await Measure(samples, async () => (await Cli(endpoint, "upgrade", "list", "-o", "json")).Code);
            var show = await Measure(samples, async () => (await Cli(endpoint, "campaign", "show", "bench")).Code);
            var httpList = await Measure(samples, async () => { using var r = await http.GetAsync("api/upgrades"); return r.IsSuccessStatusCode ? 0 : 1; });
            var shown = await Cli(endpoint, "campaign", "show", "bench", "-o", "json");
            var upgrades = await Cli(endpoint, "upgrade", "list", "-o", "json");
            var count = System.Text.Json.JsonDocument.Parse(upgrades.Out).RootElement.GetArrayLength();
            var done = Regex.Matches(shown.Out, "\"state\": \"Succeeded\"").Count;

            Console.WriteLine($"read model while measuring: {count} upgrades, {done} of {clusters} clusters succeeded");
            Print("upgrade list (table, command endpoint)", list);
            Print("upgrade list -o json (command endpoint)", listJson);
            Print("campaign show (table, command endpoint)", show);
            Print("GET /api/upgrades (HTTP)", httpList);

            // Then how long the service takes to finish the campaign (at most 20 minutes): its engine's throughput.
            while (clock.Elapsed < TimeSpan.FromMinutes(20) && done < clusters)
            {
                await Task.Delay(TimeSpan.FromSeconds(5));
                shown = await Cli(endpoint, "campaign", "show", "bench", "-o", "json");
                done = Regex.Matches(shown.Out, "\"state\": \"Succeeded\"").Count;
            }
            Console.WriteLine($"campaign: {done} of {clusters} clusters succeeded {clock.Elapsed.TotalSeconds:0} s after its start ({clusters * 3 / clock.Elapsed.TotalSeconds:0.0} control-plane Machines replaced per second)");
            return 0;
        }
        finally
        {
            service.Kill();
            await service.WaitForExitAsync();
            lock (log) log.Flush();
            ReportWarnings(logPath);
            ReportLateStarts(Path.Combine(directory, "journal.db"));
        }
    }

    /// <summary>The service's warnings and errors (its log lines that say so), grouped by their text without numbers.</summary>
    private static void ReportWarnings(string logPath)
    {
        // The service logs JSON lines ("LogLevel":"Warning"); plain console lines ("warn:", "[WARNING]") count too.
        var lines = File.ReadAllLines(logPath);
        var bad = lines
            .Where(l => Regex.IsMatch(l, @"""LogLevel"":""(Warning|Error|Critical)""|^(warn|fail|crit)\b|\[(WARNING|ERROR)\]", RegexOptions.IgnoreCase))
            .Select(l => Regex.Match(l, @"""Message"":""(?<m>(\\.|[^""\\])*)""") is { Success: true } m ? m.Groups["m"].Value : l)
            .ToList();
        Console.WriteLine($"service log: {bad.Count} warning/error line(s) of {lines.Length} ({logPath})");
        foreach (var g in bad.GroupBy(l => Regex.Replace(l, @"\d+", "#")).OrderByDescending(g => g.Count()).Take(8))
            Console.WriteLine($"  ×{g.Count()} {(g.First().Length > 300 ? g.First()[..300] : g.First())}");
    }

    /// <summary>
    /// When each upgrade's first event reached the journal after the campaign's first, and which shards'
    /// remembered-entity writes waited more than a minute: an upgrade that starts late shows here, not only in the read model.
    /// </summary>
    private static void ReportLateStarts(string journal)
    {
        if (!File.Exists(journal)) return;
        using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={journal};Pooling=False");
        db.Open();
        using var campaign = db.CreateCommand();
        campaign.CommandText = "SELECT MIN(created) FROM journal WHERE persistence_id LIKE 'campaign/%'";
        if (campaign.ExecuteScalar() is not long start) return;
        using var firsts = db.CreateCommand();
        firsts.CommandText = "SELECT persistence_id, MIN(created) FROM journal WHERE persistence_id LIKE 'cluster-upgrade/%' GROUP BY persistence_id";
        var delays = new List<(string Id, double Seconds)>();
        using (var r = firsts.ExecuteReader())
            while (r.Read()) delays.Add((r.GetString(0), (r.GetInt64(1) - start) / (double)TimeSpan.TicksPerSecond));
        if (delays.Count == 0) return;
        var sorted = delays.OrderBy(d => d.Seconds).ToList();
        var late = sorted.Where(d => d.Seconds > 60).ToList();
        Console.WriteLine($"upgrades' first event journaled after the campaign's start: p50 {sorted[sorted.Count / 2].Seconds:F1} s, "
                          + $"p99 {Percentile.NearestRank(sorted.Select(d => d.Seconds).ToList(), 0.99):F1} s, max {sorted[^1].Seconds:F1} s; "
                          + $"{late.Count} after more than 60 s{(late.Count > 0 ? ": " + string.Join(", ", late.Take(12).Select(d => $"{d.Id} {d.Seconds:F0} s")) : "")}");
        using var shards = db.CreateCommand();
        shards.CommandText = "SELECT persistence_id, created FROM journal WHERE persistence_id LIKE '/sharding/%Shard/%' ORDER BY ordering";
        var previous = new Dictionary<string, long>();
        using (var r = shards.ExecuteReader())
            while (r.Read())
            {
                var (id, at) = (r.GetString(0), r.GetInt64(1));
                if (previous.TryGetValue(id, out var before) && at - before > TimeSpan.TicksPerMinute)
                    Console.WriteLine($"  shard {id}: remembered-entity write {(at - start) / (double)TimeSpan.TicksPerSecond:F0} s after the campaign's start, {(at - before) / (double)TimeSpan.TicksPerSecond:F0} s after its previous one");
                previous[id] = at;
            }
    }

    private static async Task<(int Code, string Out, string Err)> Cli(string endpoint, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await PaletteCli.RunAsync([endpoint, .. args], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static async Task<List<double>> Measure(int samples, Func<Task<int>> call)
    {
        await call(); // warm-up
        var times = new List<double>();
        for (var i = 0; i < samples; i++)
        {
            var t = Stopwatch.StartNew();
            if (await call() != 0) throw new InvalidOperationException("a measured call failed");
            times.Add(t.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return times;
    }

    private static void Print(string what, List<double> sorted) =>
        Console.WriteLine($"{what,-42} p50 {sorted[sorted.Count / 2],7:0.0} ms   p95 {sorted[(int)(sorted.Count * 0.95)],7:0.0} ms   max {sorted[^1],7:0.0} ms   ({sorted.Count} calls)");
}
