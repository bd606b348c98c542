using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CapiUpgrade.Simulator.ApiServer;
using CapiUpgrade.Simulator.ApiServer.Resources;

namespace CapiUpgrade.Benchmarks;

/// <summary>
/// The simulated API server at fleet scale: objects and memory for N workload API servers (~30 objects each,
/// started in batches on shared Kestrels), list throughput over HTTP, watch fan-out throughput and watch
/// delivery latency (write → event line read by the client) on loopback. Prints figures; asserts nothing.
/// Args: [--servers N] [--batch B] [--watchers W] [--writes K] [--seconds S]
/// </summary>
public static class ApiServerBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        int Arg(string name, int fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        }
        var serverCount = Arg("--servers", 1000);
        var batch = Arg("--batch", 250);
        var watcherCount = Arg("--watchers", 100);
        var writes = Arg("--writes", 2000);
        var seconds = Arg("--seconds", 5);

        Console.WriteLine($"apiserver benchmark: {serverCount} workload API servers (batches of {batch}), {Environment.ProcessorCount} cores");
        var baseline = Memory();
        var sw = Stopwatch.StartNew();
        var hosts = new List<KubeApiServerHost>();
        for (var start = 0; start < serverCount; start += batch)
        {
            var options = Enumerable.Range(start, Math.Min(batch, serverCount - start)).Select(i => new KubeApiServerOptions { Name = $"w{i}", WatchHistorySize = 200 }).ToList();
            hosts.Add(await KubeApiServerHost.StartAsync(options));
        }
        var servers = hosts.SelectMany(h => h.Servers).ToList();
        var startSeconds = sw.Elapsed.TotalSeconds;
        sw.Restart();
        foreach (var s in servers) Seed(s);
        var seedSeconds = sw.Elapsed.TotalSeconds;
        var objects = servers.Sum(s => s.Store.ObjectCount);
        var loaded = Memory();
        Console.WriteLine($"started {servers.Count} servers in {startSeconds:F1} s; seeded in {seedSeconds:F1} s");
        Console.WriteLine($"objects stored: {objects} ({(double)objects / servers.Count:F1} per server)");
        Console.WriteLine($"managed heap: {(loaded.Heap - baseline.Heap) / 1048576.0:F0} MB ({(loaded.Heap - baseline.Heap) / 1024.0 / servers.Count:F0} KB per server); " +
                          $"working set: {(loaded.WorkingSet - baseline.WorkingSet) / 1048576.0:F0} MB over baseline ({loaded.WorkingSet / 1048576.0:F0} MB total)");

        // The 32 list clients walk the 1,000 servers one behind the other, so several reach a server at once: up to 64
        // connections per server kept for minutes were 32,000 sockets (two descriptors each on loopback) and the
        // process died at its 20,000-descriptor limit ("Out of memory."). A few per server, dropped once idle, suffice.
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 4, PooledConnectionIdleTimeout = TimeSpan.FromSeconds(5) });
        await ListThroughput(http, servers, seconds);
        using var watchHttp = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue }) { Timeout = Timeout.InfiniteTimeSpan };
        await WatchThroughputAndLatency(watchHttp, servers[0], watcherCount, writes);

        foreach (var h in hosts) await h.DisposeAsync();
        return 0;
    }

    private static (long Heap, long WorkingSet) Memory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return (GC.GetTotalMemory(true), Environment.WorkingSet);
    }

    /// <summary>~30 objects like a small kubeadm workload cluster: 3 control-plane Nodes with their static pods, config, RBAC, add-ons.</summary>
    private static void Seed(KubeApiServer server)
    {
        var r = server.Registry;
        JsonObject O(string json) => JsonNode.Parse(json)!.AsObject();
        var node = r.Find("", "v1", "nodes")!;
        var pod = r.Find("", "v1", "pods")!;
        for (var n = 0; n < 3; n++)
        {
            var name = $"{server.Name}-cp-{n}";
            server.Store.Create(node, null, O("""{"metadata":{"name":"NAME","labels":{"node-role.kubernetes.io/control-plane":""}},"spec":{"providerID":"docker:////NAME"},"status":{"conditions":[{"type":"Ready","status":"True"}],"nodeInfo":{"kubeletVersion":"v1.29.4"}}}""".Replace("NAME", name)), keepStatus: true);
            foreach (var component in new[] { "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler" })
                server.Store.Create(pod, "kube-system", O("""{"metadata":{"name":"COMPONENT-NAME","labels":{"component":"COMPONENT","tier":"control-plane"}},"spec":{"nodeName":"NAME","containers":[{"name":"COMPONENT","image":"registry.k8s.io/COMPONENT:v1.29.4"}]},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}""".Replace("COMPONENT", component).Replace("NAME", name)), keepStatus: true);
        }
        var cm = r.Find("", "v1", "configmaps")!;
        server.Store.Create(cm, "kube-system", O("""{"metadata":{"name":"kubeadm-config"},"data":{"ClusterConfiguration":"apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nkubernetesVersion: v1.29.4\n"}}"""));
        server.Store.Create(cm, "kube-system", O("""{"metadata":{"name":"kubelet-config"},"data":{"kubelet":"apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"}}"""));
        server.Store.Create(cm, "kube-system", O("""{"metadata":{"name":"coredns"},"data":{"Corefile":".:53 { forward . /etc/resolv.conf }"}}"""));
        server.Store.Create(cm, "kube-system", O("""{"metadata":{"name":"kube-proxy"},"data":{"config.conf":"mode: iptables"}}"""));
        server.Store.Create(r.Find("rbac.authorization.k8s.io", "v1", "roles")!, "kube-system", O("""{"metadata":{"name":"kubeadm:kubelet-config"},"rules":[{"apiGroups":[""],"resources":["configmaps"],"resourceNames":["kubelet-config"],"verbs":["get"]}]}"""));
        server.Store.Create(r.Find("rbac.authorization.k8s.io", "v1", "rolebindings")!, "kube-system", O("""{"metadata":{"name":"kubeadm:kubelet-config"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"kubeadm:kubelet-config"},"subjects":[{"kind":"Group","name":"system:nodes"}]}"""));
        server.Store.Create(r.Find("apps", "v1", "daemonsets")!, "kube-system", O("""{"metadata":{"name":"kube-proxy"},"spec":{"template":{"spec":{"containers":[{"name":"kube-proxy","image":"registry.k8s.io/kube-proxy:v1.29.4"}]}}}}"""));
        server.Store.Create(r.Find("apps", "v1", "deployments")!, "kube-system", O("""{"metadata":{"name":"coredns"},"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"coredns","image":"registry.k8s.io/coredns/coredns:v1.11.1"}]}}}}"""));
        var sa = r.Find("", "v1", "serviceaccounts")!;
        foreach (var name in new[] { "default", "coredns", "kube-proxy" }) server.Store.Create(sa, "kube-system", O($$$"""{"metadata":{"name":"{{{name}}}"}}"""));
    }

    private static async Task ListThroughput(HttpClient http, List<KubeApiServer> servers, int seconds)
    {
        var concurrency = 32;
        var deadline = Stopwatch.StartNew();
        long lists = 0, items = 0, bytes = 0;
        var tasks = Enumerable.Range(0, concurrency).Select(async worker =>
        {
            var i = worker;
            while (deadline.Elapsed.TotalSeconds < seconds)
            {
                var s = servers[i++ % servers.Count];
                var body = await http.GetByteArrayAsync(s.Url + "/api/v1/namespaces/kube-system/pods?labelSelector=tier%3Dcontrol-plane");
                using var doc = JsonDocument.Parse(body);
                Interlocked.Increment(ref lists);
                Interlocked.Add(ref items, doc.RootElement.GetProperty("items").GetArrayLength());
                Interlocked.Add(ref bytes, body.Length);
            }
        });
        await Task.WhenAll(tasks);
        var elapsed = deadline.Elapsed.TotalSeconds;
        Console.WriteLine($"list throughput ({concurrency} concurrent clients, kube-system pods with a label selector, round-robin over servers): " +
                          $"{lists / elapsed:F0} lists/s, {items / elapsed:F0} objects/s, {bytes / elapsed / 1048576:F1} MB/s");
    }

    private static async Task WatchThroughputAndLatency(HttpClient http, KubeApiServer server, int watcherCount, int writes)
    {
        var cm = server.Registry.Find("", "v1", "configmaps")!;
        server.Store.Create(cm, "default", JsonNode.Parse("""{"metadata":{"name":"ticker"},"data":{"t":"0","paced":"false"}}""")!.AsObject());
        var rv = server.Store.ResourceVersion.ToString(CultureInfo.InvariantCulture);
        const int pacedWrites = 200;
        var total = writes + pacedWrites;
        var latencies = new List<double>[watcherCount];
        var received = new long[watcherCount];
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var ready = 0;
        var watchers = Enumerable.Range(0, watcherCount).Select(async w =>
        {
            latencies[w] = new List<double>(pacedWrites);
            using var response = await http.GetAsync($"{server.Url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={rv}", HttpCompletionOption.ResponseHeadersRead, cts.Token);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token), Encoding.UTF8);
            Interlocked.Increment(ref ready);
            while (Volatile.Read(ref received[w]) < total)
            {
                var line = await reader.ReadLineAsync(cts.Token);
                if (line is null) break;
                var now = Stopwatch.GetTimestamp();
                var data = JsonNode.Parse(line)!["object"]!["data"]!;
                if (data["paced"]!.GetValue<string>() == "true")
                    latencies[w].Add(Stopwatch.GetElapsedTime(long.Parse(data["t"]!.GetValue<string>(), CultureInfo.InvariantCulture), now).TotalMilliseconds);
                Interlocked.Increment(ref received[w]);
            }
        }).ToList();
        while (Volatile.Read(ref ready) < watcherCount)
        {
            if (cts.IsCancellationRequested) throw new TimeoutException($"only {ready} of {watcherCount} watches opened");
            await Task.Delay(10);
        }
        await Task.Delay(200); // let every watch register before the first write

        // throughput: a burst of writes, every watcher receives every event
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < writes; i++)
        {
            var ts = Stopwatch.GetTimestamp().ToString(CultureInfo.InvariantCulture);
            server.Store.Patch(cm, "default", "ticker", o => { o["data"]!["t"] = ts; return o; });
            if (i % 50 == 49) await Task.Yield();
        }
        var writeSeconds = sw.Elapsed.TotalSeconds;
        while (received.Sum() < (long)writes * watcherCount && !cts.IsCancellationRequested) await Task.Delay(1);
        var burstSeconds = sw.Elapsed.TotalSeconds;
        Console.WriteLine($"watch fan-out: {writes} writes ({writes / writeSeconds:F0} writes/s) to {watcherCount} watchers over HTTP: " +
                          $"{(long)writes * watcherCount} events delivered in {burstSeconds:F2} s = {writes * watcherCount / burstSeconds:F0} events/s");

        // latency: one write at a time, the next once every watcher has read the previous one
        for (var i = 0; i < pacedWrites; i++)
        {
            var ts = Stopwatch.GetTimestamp().ToString(CultureInfo.InvariantCulture);
            server.Store.Patch(cm, "default", "ticker", o => { o["data"]!["t"] = ts; o["data"]!["paced"] = "true"; return o; });
            var expected = (long)(writes + i + 1) * watcherCount;
            while (received.Sum() < expected && !cts.IsCancellationRequested) await Task.Yield();
        }
        await Task.WhenAll(watchers);
        var all = latencies.SelectMany(l => l).Order().ToList();
        double P(double q) => all.Count == 0 ? double.NaN : all[Math.Min(all.Count - 1, (int)(q * all.Count))];
        Console.WriteLine($"watch delivery latency ({pacedWrites} paced writes × {watcherCount} watchers, write → line read by the client, loopback): " +
                          $"p50 {P(0.50):F2} ms, p99 {P(0.99):F2} ms, max {all.LastOrDefault():F2} ms");
    }
}
