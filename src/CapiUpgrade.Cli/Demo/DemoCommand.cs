using System.CommandLine;
using System.Diagnostics;
using Akka.Actor;
using CapiUpgrade.Actors.Execution;
using CapiUpgrade.Actors.Persistence;
using CapiUpgrade.Cli.Run;
using CapiUpgrade.Core.Upgrades;
using CapiUpgrade.Kubernetes.Management;
using CapiUpgrade.Simulator.Fleet;
using Spectre.Console;
using static CapiUpgrade.Actors.Protocol.ClusterUpgradeCommands;
using static CapiUpgrade.Actors.Protocol.ClusterUpgradeReplies;
using ClusterKey = CapiUpgrade.Core.Upgrades.ClusterKey;

namespace CapiUpgrade.Cli.Demo;

/// <summary>
/// `capi-upgrade demo`: a simulated fleet in-process (real etcd when installed, else simulated), every cluster's
/// control plane upgraded concurrently by the engine, progress per cluster, a before/after table.
/// </summary>
public static class DemoCommand
{
    /// <summary>The console width assumed when the output goes to a file or a pipe.</summary>
    private const int RedirectedWidth = 120;

    public static Command Build()
    {
        var clusters = new Option<int>("--clusters") { Description = "number of simulated clusters", DefaultValueFactory = _ => 3 };
        var nodes = new Option<int>("--control-plane-nodes") { Description = "control-plane Machines per cluster", DefaultValueFactory = _ => 3 };
        var from = new Option<string>("--from") { Description = "starting Kubernetes version", DefaultValueFactory = _ => "v1.29.4" };
        var to = new Option<string>("--to") { Description = "target Kubernetes version", DefaultValueFactory = _ => "v1.30.2" };
        var etcd = new Option<string>("--etcd") { Description = "auto (real etcd when installed), real or simulated", DefaultValueFactory = _ => "auto" };
        var etcdAccess = new Option<string>("--etcd-access")
        {
            Description = "how the engine reaches etcd members: direct (their advertised client URLs) or port-forward (through each workload API server)",
            DefaultValueFactory = _ => EtcdAccessNames.Direct,
        };
        var command = new Command("demo", "Upgrade a simulated fleet's control planes concurrently and show what happened (workers and add-ons are not upgraded yet).")
        {
            clusters, nodes, from, to, etcd, etcdAccess,
        };
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(clusters), parse.GetValue(nodes), parse.GetValue(from)!, parse.GetValue(to)!, parse.GetValue(etcd)!, parse.GetValue(etcdAccess)!, ct));
        return command;
    }

    public static async Task<int> RunAsync(int clusterCount, int nodes, string from, string to, string etcdMode, string etcdAccessName, CancellationToken ct)
    {
        EtcdAccess etcdAccess;
        try
        {
            etcdAccess = EtcdAccessNames.Parse(etcdAccessName, "--etcd-access");
        }
        catch (ArgumentException e)
        {
            AnsiConsole.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]");
            return 2;
        }
        var mode = etcdMode.ToLowerInvariant() switch
        {
            "real" => FleetEtcd.Real,
            "simulated" => FleetEtcd.Simulated,
            "auto" => FleetEtcd.Auto,
            _ => (FleetEtcd?)null,
        };
        if (mode is null)
        {
            AnsiConsole.MarkupLine($"[red]--etcd '{Markup.Escape(etcdMode)}' is not auto, real or simulated[/]");
            return 2;
        }
        // Written to a file or a CI log there is no terminal width: Spectre assumes 80 columns and wraps the final
        // table's cluster names and results mid-word. A log is as wide as its lines; 120 fits the table.
        if (Console.IsOutputRedirected && AnsiConsole.Profile.Width < RedirectedWidth) AnsiConsole.Profile.Width = RedirectedWidth;
        var dir = Path.Combine(Path.GetTempPath(), "capi-upgrade-demo-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        AnsiConsole.MarkupLine($"Starting a simulated fleet: {clusterCount} cluster(s) × {nodes} control-plane node(s) at {from}...");
        await using var fleet = await SimulatedFleet.StartAsync(new SimulatedFleetOptions
        {
            Clusters = clusterCount, ControlPlaneReplicas = nodes, Version = from, Etcd = mode.Value,
            ProvisionDelay = TimeSpan.FromMilliseconds(500), RandomSeed = 42,
        }, ct);
        var etcdWords = fleet.EtcdMode.ToString().Contains("Real", StringComparison.OrdinalIgnoreCase)
            ? "real etcd processes (etcd-server, TLS, client certificates)"
            : "the simulated etcd (etcd v3 gRPC over TLS, client certificates)";
        AnsiConsole.MarkupLine($"etcd: {etcdWords}, reached {(etcdAccess == EtcdAccess.PortForward ? "through each workload API server's port-forward" : "directly")}. Management API server: {fleet.ManagementUrl}");
        var kubeconfig = Path.Combine(dir, "management.kubeconfig");
        await fleet.WriteKubeconfigAsync(kubeconfig, ct);

        var before = fleet.Clusters.ToDictionary(c => c.Key, c => (Version: c.Version, Members: fleet.Observer.Latest(c.Key)?.EtcdMembers ?? nodes));
        await using var registry = new ManagementClusterRegistry();
        registry.Add(ManagementClusterAccess.FromKubeconfigFile(kubeconfig, options: KubernetesAccessOptions.Default with { EtcdAccess = etcdAccess }));
        var executors = new KubernetesStepExecutorFactory(registry);
        await using var engine = await EngineHost.StartAsync(EnginePersistenceOptions.SqliteFile(Path.Combine(dir, "journal.db")), ct: ct);

        var stopwatch = Stopwatch.StartNew();
        var actors = new Dictionary<string, IActorRef>();
        foreach (var c in fleet.Clusters)
        {
            var key = new ClusterKey(c.Namespace, c.Name);
            var actor = engine.UpgradeActor(key, executors, "upgrade-" + c.Namespace + "-" + c.Name);
            actors[c.Key] = actor;
            engine.Follow(actor, key);
            var id = Core.Naming.UpgradeId.Derive(c.Namespace, c.Name, Core.Versions.KubernetesVersion.Parse(to));
            var reply = await actor.Ask<object>(new StartUpgrade(key, id, to, UpgradeOptions.Default, "demo"), TimeSpan.FromSeconds(60), ct);
            if (reply is CommandRejected r)
            {
                AnsiConsole.MarkupLine($"[red]{Markup.Escape(r.Reason)}[/]");
                return 1;
            }
        }

        var final = new Dictionary<string, (UpgradeStatus Status, TimeSpan Took)>();
        var stepsPerMachine = 9.0;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .StartAsync(async progress =>
            {
                var tasks = fleet.Clusters.ToDictionary(c => c.Key, c => progress.AddTask(c.Key, maxValue: nodes * stepsPerMachine + 4));
                await foreach (var p in engine.Progress.ReadAllAsync(ct))
                {
                    var key = p.Cluster.EntityId;
                    if (!tasks.TryGetValue(key, out var task) || final.ContainsKey(key)) continue;
                    var s = p.Status;
                    var done = s.MachinesReplaced * stepsPerMachine + s.Machines.Where(m => m.Stage != nameof(ReplacementStage.Done)).Sum(m => Enum.TryParse<ReplacementStage>(m.Stage, out var st) && st <= ReplacementStage.Done ? (double)st : 0)
                               + (s.Phase.IsFinished() ? 4 : Math.Min(3, s.CurrentStep is null ? 0 : 3));
                    task.Value = Math.Min(task.MaxValue, done);
                    task.Description = $"{key} [grey]{Markup.Escape(s.Phase == UpgradePhase.Running ? (s.CurrentStep ?? "") + " " + (s.CurrentMachine ?? "") : s.Phase.ToString())}[/]";
                    if (s.Phase.IsFinished() || (s.Phase == UpgradePhase.Paused && s.CurrentStep is null))
                    {
                        task.Value = task.MaxValue;
                        final[key] = (s, stopwatch.Elapsed);
                        if (final.Count == tasks.Count) break;
                    }
                }
            });

        var table = new Table().Title($"Control planes upgraded {from} → {to} with {etcdWords}");
        table.AddColumns("Cluster", "Before", "After", "Machines replaced", "etcd members (voters)", "Result", "Duration");
        table.Columns[0].NoWrap();
        var exit = 0;
        foreach (var c in fleet.Clusters)
        {
            var (status, took) = final[c.Key];
            var machines = fleet.Management.Store.ListObjects(fleet.Management.Registry.Find("cluster.x-k8s.io", "v1beta1", "machines")!, c.Namespace,
                $"cluster.x-k8s.io/cluster-name={c.Name},cluster.x-k8s.io/control-plane");
            var versions = machines.Select(m => m["spec"]?["version"]?.GetValue<string>() ?? "?").Distinct().Order().ToList();
            // The membership as etcd itself reports it now (the observer's view can be one poll old).
            var list = (await c.Etcd.MemberListAsync(ct)).Members;
            var members = $"{list.Count} ({list.Count(m => !m.IsLearner)})";
            if (status.Phase != UpgradePhase.Succeeded) exit = 1;
            table.AddRow(c.Key, $"{before[c.Key].Version} ×{nodes}", string.Join(", ", versions) + $" ×{machines.Count}", status.MachinesReplaced.ToString(), members,
                status.Phase == UpgradePhase.Succeeded ? "[green]Succeeded[/]" : $"[red]{status.Phase}: {Markup.Escape(status.PauseReason ?? "")}[/]",
                $"{took:mm\\:ss}");
        }
        AnsiConsole.Write(table);
        var violations = fleet.Observer.Violations;
        AnsiConsole.MarkupLine(violations.Count == 0
            ? "The simulator's observer saw no invariant violation (at most one extra control-plane Machine, etcd quorum kept, no stale member, certificate secrets present)."
            : $"[red]The observer recorded {violations.Count} violation(s):[/]\n" + Markup.Escape(string.Join("\n", violations)));
        AnsiConsole.MarkupLine("[yellow]Workers (MachineDeployments) and add-ons (CoreDNS, kube-proxy) are not upgraded yet: only control planes are.[/]");
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        return violations.Count == 0 ? exit : 1;
    }
}
