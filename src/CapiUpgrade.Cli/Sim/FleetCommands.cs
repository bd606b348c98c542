using System.CommandLine;
using System.Globalization;
using CapiUpgrade.Simulator.ApiServer;
using CapiUpgrade.Simulator.Faults;
using CapiUpgrade.Simulator.Fleet;

namespace CapiUpgrade.Cli.Sim;

/// <summary>
/// The fleet side of <c>capi-upgrade sim</c>: the fleet options of <c>sim serve</c> (workload clusters with
/// etcd, simulated CAPI controllers, faults, observer), <c>sim fault …</c>, <c>sim dump</c> and <c>sim observer</c>.
/// </summary>
public static class FleetCommands
{
    private static readonly Option<int> Clusters = new("--clusters") { Description = "number of simulated workload clusters (0 = management API server only)", DefaultValueFactory = _ => 0 };
    private static readonly Option<int> Replicas = new("--control-plane-replicas") { Description = "control-plane Machines per cluster", DefaultValueFactory = _ => 3 };
    private static readonly Option<string> Version = new("--version") { Description = "Kubernetes version of the clusters", DefaultValueFactory = _ => "v1.29.4" };
    private static readonly Option<string> Etcd = new("--etcd") { Description = "real | simulated | auto (real when `etcd` is on PATH and clusters <= 10)", DefaultValueFactory = _ => "auto" };
    private static readonly Option<string> ProvisionDelay = new("--provision-delay") { Description = "time a new Machine takes to become a Node (e.g. 2s, 500ms)", DefaultValueFactory = _ => "2s" };
    private static readonly Option<double> Jitter = new("--jitter") { Description = "relative jitter of the provision delay (0.2 = ±20%)", DefaultValueFactory = _ => 0.2 };
    private static readonly Option<int?> Seed = new("--random-seed") { Description = "seed of the jitter, for reproducible runs" };
    private static readonly Option<int> AdminPort = new("--admin-port") { Description = "port of the fleet admin endpoint on 127.0.0.1 (0 = any)", DefaultValueFactory = _ => 0 };

    /// <summary>Adds the fleet options to <c>sim serve</c> and the hook that creates the fleet once the management API server is up.</summary>
    public static void AddServeOptions(Command serve)
    {
        foreach (var option in new Option[] { Clusters, Replicas, Version, Etcd, ProvisionDelay, Jitter, Seed, AdminPort }) serve.Options.Add(option);
        SimCommands.ServeHooks.Add(StartFleetAsync);
    }

    private static async Task StartFleetAsync(ParseResult parse, SimCommands.ServeOptions serveOptions, KubeApiServer management, CancellationToken cancellationToken)
    {
        var clusters = parse.GetValue(Clusters);
        if (clusters <= 0) return;
        var options = new SimulatedFleetOptions
        {
            Clusters = clusters,
            ControlPlaneReplicas = parse.GetValue(Replicas),
            Version = parse.GetValue(Version)!,
            Etcd = parse.GetValue(Etcd)!.ToLowerInvariant() switch
            {
                "real" => FleetEtcd.Real,
                "simulated" => FleetEtcd.Simulated,
                "auto" => FleetEtcd.Auto,
                var other => throw new ArgumentException($"--etcd {other}: use real, simulated or auto."),
            },
            ProvisionDelay = ParseDuration(parse.GetValue(ProvisionDelay)!, "--provision-delay"),
            Jitter = parse.GetValue(Jitter),
            RandomSeed = parse.GetValue(Seed),
            AdminPort = parse.GetValue(AdminPort),
        };
        Console.WriteLine($"creating {clusters} simulated clusters ({options.ControlPlaneReplicas} control-plane Machines each, {options.Version}, etcd {options.Etcd.ToString().ToLowerInvariant()})...");
        var fleet = await SimulatedFleet.StartAsync(options, cancellationToken, management);
        // Stop etcd processes and servers when `sim serve` is stopped (Ctrl-C / SIGTERM).
        cancellationToken.Register(() => _ = fleet.DisposeAsync().AsTask());
        AppDomain.CurrentDomain.ProcessExit += (_, _) => fleet.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(30));
        Console.WriteLine($"fleet ready in {fleet.StartupTime.TotalSeconds:F1}s: {fleet.Clusters.Count} clusters in namespaces " +
            $"{string.Join(", ", fleet.Clusters.Select(c => c.Namespace).Distinct())}, etcd {fleet.EtcdMode.ToString().ToLowerInvariant()}");
        Console.WriteLine($"admin endpoint {fleet.AdminUrl} (ConfigMap {SimulatedFleet.AdminConfigMapNamespace}/{SimulatedFleet.AdminConfigMapName}); " +
            "try: capi-upgrade sim fault list --kubeconfig <kubeconfig>");
    }

    public static TimeSpan ParseDuration(string text, string option)
    {
        text = text.Trim();
        (string Suffix, double Factor)[] units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)];
        foreach (var (suffix, factor) in units)
            if (text.EndsWith(suffix, StringComparison.Ordinal) && double.TryParse(text[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0)
                return TimeSpan.FromMilliseconds(value * factor);
        throw new ArgumentException($"{option} {text}: give a duration like 2s, 500ms or 1m.");
    }

    // ------------------------------------------------------------------ sim fault / dump / observer

    private static Option<FileInfo> KubeconfigOption() => new("--kubeconfig")
    {
        Description = "kubeconfig of the simulated management cluster (the file `sim serve --kubeconfig-out` wrote)",
        Required = true,
    };

    /// <summary><c>sim fault &lt;kind&gt;|list|clear</c>.</summary>
    public static Command BuildFaultCommand()
    {
        var fault = new Command("fault", "Inject or clear faults in a running `sim serve` fleet (found through the management kubeconfig).");
        foreach (var kind in Enum.GetValues<FaultKind>()) fault.Subcommands.Add(BuildFaultKindCommand(kind));

        var listKubeconfig = KubeconfigOption();
        var list = new Command("list", "List the active faults.") { listKubeconfig };
        list.SetAction((parse, ct) => WithAdminAsync(parse.GetValue(listKubeconfig)!, async admin =>
        {
            var faults = await admin.ListFaultsAsync(ct);
            if (faults.Count == 0) Console.WriteLine("no active faults");
            foreach (var f in faults) Console.WriteLine(Describe(f));
        }));
        fault.Subcommands.Add(list);

        var clearKubeconfig = KubeconfigOption();
        var clear = new Command("clear", "Clear every active fault.") { clearKubeconfig };
        clear.SetAction((parse, ct) => WithAdminAsync(parse.GetValue(clearKubeconfig)!, async admin =>
        {
            var cleared = await admin.ClearAsync(null, ct);
            Console.WriteLine($"cleared {cleared.Count} fault(s)");
        }));
        fault.Subcommands.Add(clear);
        return fault;
    }

    private static Command BuildFaultKindCommand(FaultKind kind)
    {
        var kubeconfig = KubeconfigOption();
        var cluster = new Option<string>("--cluster") { Description = "workload cluster as namespace/name (\"management\" for API faults on the management server)", Required = true };
        var machine = new Option<string?>("--machine") { Description = "only this Machine of the cluster" };
        var member = new Option<string?>("--member") { Description = "etcd member name (default: the Machine's node)" };
        var component = new Option<string?>("--component") { Description = "static pod: etcd, kube-apiserver, kube-controller-manager, kube-scheduler" };
        var reason = new Option<string?>("--reason") { Description = "failureReason for provisioning failures (default CreateError)" };
        var rate = new Option<double>("--rate") { Description = "fraction of requests that fail (API errors)", DefaultValueFactory = _ => 1.0 };
        var code = new Option<int>("--code") { Description = "HTTP status of injected API errors", DefaultValueFactory = _ => 500 };
        var latency = new Option<string?>("--latency") { Description = "added latency of the API server (api-latency) or etcd member (etcd-member-slow), e.g. 200ms" };
        var verb = new Option<string?>("--verb") { Description = "only requests with this verb (get, list, watch, create, update, patch, delete)" };
        var resource = new Option<string?>("--resource") { Description = "only requests for this resource (e.g. machines)" };
        var clear = new Option<bool>("--clear") { Description = "clear this fault instead of injecting it" };
        var command = new Command(KebabCase(kind), Describe(kind)) { kubeconfig, cluster, machine, member, component, reason, rate, code, latency, verb, resource, clear };
        command.SetAction((parse, ct) => WithAdminAsync(parse.GetValue(kubeconfig)!, async admin =>
        {
            var spec = new FaultSpec
            {
                Kind = kind,
                Cluster = parse.GetValue(cluster)!,
                Machine = parse.GetValue(machine),
                Member = parse.GetValue(member),
                Component = parse.GetValue(component),
                Reason = parse.GetValue(reason),
                Rate = parse.GetValue(rate),
                Code = parse.GetValue(code),
                LatencyMilliseconds = parse.GetValue(latency) is { } l ? (int)ParseDuration(l, "--latency").TotalMilliseconds : 0,
                Verb = parse.GetValue(verb),
                Resource = parse.GetValue(resource),
            };
            if (parse.GetValue(clear))
            {
                var cleared = await admin.ClearAsync(spec, ct);
                Console.WriteLine(cleared.Count == 0 ? $"no active {KebabCase(kind)} fault on {spec.Cluster}" : $"cleared: {string.Join("; ", cleared.Select(Describe))}");
            }
            else
            {
                Console.WriteLine($"injected: {Describe(await admin.InjectAsync(spec, ct))}");
            }
        }));
        return command;
    }

    /// <summary><c>sim dump --kubeconfig K [--out FILE]</c>: every object of every API server as YAML.</summary>
    public static Command BuildDumpCommand()
    {
        var kubeconfig = KubeconfigOption();
        var output = new Option<FileInfo?>("--out") { Description = "write the YAML to this file instead of stdout" };
        var dump = new Command("dump", "Write every object of the running fleet (management and workload API servers) as YAML.") { kubeconfig, output };
        dump.SetAction((parse, ct) => WithAdminAsync(parse.GetValue(kubeconfig)!, async admin =>
        {
            var yaml = await admin.DumpAsync(ct);
            if (parse.GetValue(output) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, yaml, ct);
                Console.WriteLine($"wrote {yaml.Split("\n---", StringSplitOptions.None).Length} objects to {file.FullName}");
            }
            else Console.Write(yaml);
        }));
        return dump;
    }

    /// <summary><c>sim observer --kubeconfig K</c>: the invariant observer's violations and latest state (JSON).</summary>
    public static Command BuildObserverCommand()
    {
        var kubeconfig = KubeconfigOption();
        var observer = new Command("observer", "Print the invariant observer's violations and the latest state of every cluster (JSON).") { kubeconfig };
        observer.SetAction((parse, ct) => WithAdminAsync(parse.GetValue(kubeconfig)!, async admin => Console.WriteLine(await admin.ObserverAsync(ct))));
        return observer;
    }

    private static async Task<int> WithAdminAsync(FileInfo kubeconfig, Func<FleetAdminClient, Task> action)
    {
        if (!kubeconfig.Exists)
        {
            await Console.Error.WriteLineAsync($"--kubeconfig {kubeconfig.FullName}: no such file; pass the file `capi-upgrade sim serve --kubeconfig-out` wrote.");
            return 2;
        }
        try
        {
            using var admin = await FleetAdminClient.FromKubeconfigAsync(await File.ReadAllTextAsync(kubeconfig.FullName));
            await action(admin);
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or ArgumentException)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 1;
        }
    }

    private static string KebabCase(FaultKind kind) =>
        string.Concat(kind.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    private static string Describe(FaultSpec f) =>
        $"{KebabCase(f.Kind)} on {f.Cluster}{(f.Machine is null ? "" : $" machine {f.Machine}")}{(f.Member is null ? "" : $" member {f.Member}")}" +
        $"{(f.Component is null ? "" : $" component {f.Component}")}" +
        (f.Kind == FaultKind.ApiErrors ? $" code {f.Code} rate {f.Rate}" : "") + (f.Kind is FaultKind.ApiLatency or FaultKind.EtcdMemberSlow ? $" latency {f.LatencyMilliseconds}ms" : "") +
        $"{(f.Verb is null ? "" : $" verb {f.Verb}")}{(f.Resource is null ? "" : $" resource {f.Resource}")}";

    private static string Describe(FaultKind kind) => kind switch
    {
        FaultKind.ProvisioningFails => "New Machines of the cluster end in phase Failed with a failureReason.",
        FaultKind.NodeNeverReady => "The Machine's Node is (and stays) not Ready.",
        FaultKind.StaticPodNotReady => "A static pod (--component, default kube-apiserver) of the Machine's Node is not Ready.",
        FaultKind.EtcdMemberStopped => "Stop an etcd member's process (--member or --machine); --clear restarts it.",
        FaultKind.EtcdMemberUnhealthy => "An etcd member runs but is unhealthy (simulated: health reads time out; real: frozen).",
        FaultKind.EtcdMemberSlow => "An etcd member answers every call --latency late; it keeps its vote (simulated etcd only).",
        FaultKind.EtcdAlarmNospace => "Raise an etcd NOSPACE alarm on a member; --clear disarms it.",
        FaultKind.DrainNeverFinishes => "Draining the Node of a deleted Machine never finishes.",
        FaultKind.ApiErrors => "The cluster's API server (or \"management\") answers --code at --rate.",
        FaultKind.ApiLatency => "The cluster's API server (or \"management\") adds --latency.",
        _ => kind.ToString(),
    };
}
