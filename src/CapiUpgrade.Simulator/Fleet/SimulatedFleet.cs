using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using CapiUpgrade.Simulator.ApiServer;
using CapiUpgrade.Simulator.Controllers;
using CapiUpgrade.Simulator.Etcd;
using CapiUpgrade.Simulator.Faults;
using CapiUpgrade.Simulator.Observer;
using CapiUpgrade.Simulator.Pki;
using Etcdserverpb;

namespace CapiUpgrade.Simulator.Fleet;

/// <summary>
/// A simulated Cluster API management cluster with N workload clusters (seed case: control-plane Machines
/// not owned by a KubeadmControlPlane), each with its own TLS API server and etcd (real or simulated),
/// the simulated CAPI controllers, run-time faults, an invariant observer and an admin endpoint.
/// Start it with <see cref="StartAsync"/>; point clients at <see cref="ManagementKubeconfig"/>.
/// </summary>
public sealed class SimulatedFleet : IAsyncDisposable, IFaultTargets
{
    /// <summary>ConfigMap in the management cluster that tells `sim fault` / `sim dump` where the admin endpoint is.</summary>
    public const string AdminConfigMapNamespace = "kube-system";
    public const string AdminConfigMapName = "capi-simulator-admin";

    private readonly List<SimulatedCluster> _clusters = [];
    private readonly ConcurrentDictionary<string, SimulatedCluster> _byKey = new(StringComparer.Ordinal);
    private readonly List<KubeApiServerHost> _hosts = [];
    private SimulatedEtcdServer? _etcdServer;
    private KubeHttpClient? _managementClient;
    private SharedWatch? _machineWatch;
    private SharedWatch? _secretWatch;
    private FleetAdminEndpoint? _admin;
    private bool _ownsManagement;

    private SimulatedFleet(SimulatedFleetOptions options, KubeApiServer management, EtcdMode etcdMode)
    {
        Options = options;
        Management = management;
        EtcdMode = etcdMode;
        Faults = new FleetFaults();
        Faults.Attach(this);
    }

    public SimulatedFleetOptions Options { get; }
    /// <summary>The management API server (HTTPS on 127.0.0.1, client certificate in <see cref="ManagementKubeconfig"/>; or the one given to StartAsync).</summary>
    public KubeApiServer Management { get; }
    public string ManagementUrl => Management.Url;
    public string ManagementKubeconfig => Management.Kubeconfig();
    public EtcdMode EtcdMode { get; }

    /// <summary>The server answering every simulated etcd member's RPCs (null with real etcd).</summary>
    public SimulatedEtcdServer? EtcdServer => _etcdServer;
    public IReadOnlyList<SimulatedCluster> Clusters => _clusters;
    public FleetFaults Faults { get; }
    public InvariantObserver Observer { get; private set; } = null!;
    public MachineController Controller { get; private set; } = null!;
    /// <summary>http://127.0.0.1:PORT of the admin endpoint (null when disabled).</summary>
    public string? AdminUrl => _admin?.Url;
    public string? AdminToken => _admin?.Token;
    /// <summary>Wall time of <see cref="StartAsync"/>.</summary>
    public TimeSpan StartupTime { get; private set; }

    /// <summary>Wall time per start-up phase (certificates, API servers, etcd, objects, controllers), for benchmarks.</summary>
    public IReadOnlyDictionary<string, TimeSpan> StartupPhases => _phases;

    private readonly Dictionary<string, TimeSpan> _phases = new(StringComparer.Ordinal);

    private void Phase(string name, Stopwatch watch)
    {
        lock (_phases) _phases[name] = (_phases.TryGetValue(name, out var t) ? t : TimeSpan.Zero) + watch.Elapsed;
        watch.Restart();
    }

    public SimulatedCluster Cluster(string key) => _byKey.TryGetValue(key, out var c) ? c
        : throw new ArgumentException($"no cluster '{key}' in this fleet (give namespace/name); clusters: {string.Join(", ", _clusters.Take(10).Select(x => x.Key))}{(_clusters.Count > 10 ? ", ..." : "")}.", nameof(key));

    public SimulatedCluster Cluster(string ns, string name) => Cluster(ns + "/" + name);

    public bool TryGetCluster(string key, out SimulatedCluster cluster) => _byKey.TryGetValue(key, out cluster!);

    /// <summary>Creates the fleet and starts its controllers; returns once everything is serving.</summary>
    /// <param name="management">An already running management API server to create the fleet in (e.g. the one of `sim serve`); null = start one (TLS, client certificate).</param>
    public static async Task<SimulatedFleet> StartAsync(SimulatedFleetOptions? options = null, CancellationToken cancellationToken = default, KubeApiServer? management = null)
    {
        options ??= new SimulatedFleetOptions();
        if (options.Clusters < 0) throw new ArgumentException("--clusters must be 0 or more.");
        if (options.ControlPlaneReplicas < 1) throw new ArgumentException("--control-plane-replicas must be at least 1.");
        var version = KubernetesVersions.Normalize(options.Version);
        _ = KubernetesVersions.Minor(version);
        var watch = Stopwatch.StartNew();
        var mode = options.Etcd switch
        {
            FleetEtcd.Real => RealEtcdCluster.IsAvailable() ? EtcdMode.Real
                : throw new InvalidOperationException("--etcd real: no `etcd` binary on PATH; install it (apt-get install etcd-server) or use --etcd simulated."),
            FleetEtcd.Simulated => EtcdMode.Simulated,
            _ => RealEtcdCluster.IsAvailable() && options.Clusters <= 10 ? EtcdMode.Real : EtcdMode.Simulated,
        };
        var ownsManagement = management is null;
        if (management is null)
        {
            // TLS with a client certificate, as a real management cluster: kubectl sends no bearer token over
            // plain HTTP, and KubernetesClient refuses a kubeconfig whose user has no credentials.
            var ca = CertificateAuthority.Create("management-ca", options.Keys ?? RsaKeySource.Shared);
            var admin = ca.IssueClient("kubernetes-admin", "system:masters");
            var serverOptions = new KubeApiServerOptions
            {
                Name = "management",
                Port = options.ManagementPort,
                Validator = options.ManagementValidator,
                StrictFieldValidationByDefault = options.StrictFieldValidation,
                ServerCertificate = ca.IssueServer("kube-apiserver", ["kubernetes", "kubernetes.default"]).Certificate,
                ServerCaPem = ca.CertificatePem,
                ClientCertificateAuthority = ca.Certificate,
                AdminClientCertificate = admin.Certificate,
            };
            if (options.CrdDirectory is not null) serverOptions = ApiServer.Schema.CrdLoader.Apply(serverOptions, options.CrdDirectory);
            management = await KubeApiServer.StartAsync(serverOptions, cancellationToken);
        }
        var fleet = new SimulatedFleet(options with { Version = version }, management, mode) { _ownsManagement = ownsManagement };
        try
        {
            await fleet.CreateClustersAsync(cancellationToken);
            var controllers = Stopwatch.StartNew();
            await fleet.StartControllersAsync(cancellationToken);
            fleet.Phase("controllers", controllers);
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
        fleet.StartupTime = watch.Elapsed;
        return fleet;
    }

    private async Task CreateClustersAsync(CancellationToken ct)
    {
        var o = Options;
        var keys = o.Keys ?? RsaKeySource.Shared;
        var namespaceCount = o.Namespaces > 0 ? o.Namespaces : Math.Max(1, Math.Min(4, o.Clusters));
        var namespaces = Enumerable.Range(0, namespaceCount).Select(i => $"{o.NamespacePrefix}-{i}").ToList();
        var nsType = Management.Registry.Find("", "v1", "namespaces")!;
        foreach (var ns in namespaces)
            if (Management.Store.TryGet(nsType, null, ns) is null)
                Management.Store.Create(nsType, null, new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = ns } });
        if (EtcdMode == EtcdMode.Simulated) _etcdServer = new SimulatedEtcdServer();

        for (var start = 0; start < o.Clusters; start += o.BatchSize)
        {
            var count = Math.Min(o.BatchSize, o.Clusters - start);
            var phase = Stopwatch.StartNew();
            var plans = Enumerable.Range(start, count).AsParallel().AsOrdered().Select(i =>
            {
                var ns = namespaces[i % namespaces.Count];
                var name = $"{o.ClusterPrefix}-{i:D4}";
                var certs = ClusterCertificates.Create(keys);
                var serving = certs.ClusterCa.IssueServer("kube-apiserver", ["kubernetes", "kubernetes.default", "kubernetes.default.svc"]);
                var admin = certs.ClusterCa.IssueClient("kubernetes-admin", "system:masters");
                var machines = Enumerable.Range(0, o.ControlPlaneReplicas).Select(r => $"{name}-cp-{r}").ToList();
                return (ns, name, certs, serving, admin, machines);
            }).ToList();
            Phase("certificates", phase);
            var host = await KubeApiServerHost.StartAsync(plans.Select(p => new KubeApiServerOptions
            {
                Name = p.name,
                ServerCertificate = p.serving.Certificate,
                ServerCaPem = p.certs.ClusterCa.CertificatePem,
                ClientCertificateAuthority = p.certs.ClusterCa.Certificate,
                AdminClientCertificate = p.admin.Certificate,
            }).ToList(), ct);
            lock (_hosts) _hosts.Add(host);
            Phase("api servers", phase);

            var etcds = new EtcdCluster[count];
            if (EtcdMode == EtcdMode.Simulated)
            {
                var ports = await _etcdServer!.BindPortsAsync(count * o.ControlPlaneReplicas, ct);
                for (var i = 0; i < count; i++)
                {
                    var etcd = new SimulatedEtcdCluster($"{plans[i].ns}/{plans[i].name}", plans[i].certs.EtcdCa, _etcdServer);
                    etcd.Membership.LearnerCatchUp = o.LearnerCatchUp;
                    etcd.Bootstrap(plans[i].machines.Select((m, r) => (m, ports[i * o.ControlPlaneReplicas + r])).ToList());
                    etcds[i] = etcd;
                }
            }
            else
            {
                for (var i = 0; i < count; i++) etcds[i] = new RealEtcdCluster($"{plans[i].ns}/{plans[i].name}", plans[i].certs.EtcdCa);
                await Task.WhenAll(etcds.Select((e, i) => e.BootstrapAsync(plans[i].machines, ct)));
            }
            Phase("etcd", phase);

            for (var i = 0; i < count; i++)
            {
                var p = plans[i];
                var server = host.Servers[i];
                var kubeconfig = ApiServer.Kubeconfig.Build(p.name, server.Url, p.certs.ClusterCa.CertificatePem, p.admin.CertificatePem, p.admin.KeyPem, user: $"{p.name}-admin");
                var cluster = new SimulatedCluster(p.ns, p.name, Options.Version, p.certs, server, kubeconfig, etcds[i], p.machines);
                SeedWorkload(cluster);
                SeedManagement(cluster);
                _clusters.Add(cluster);
                _byKey[cluster.Key] = cluster;
            }
            Phase("objects", phase);
        }
    }

    private static JsonObject Create(KubeApiServer server, JsonObject obj)
    {
        var apiVersion = obj["apiVersion"]!.GetValue<string>();
        var kind = obj["kind"]!.GetValue<string>();
        var type = server.Registry.FindByKind(apiVersion, kind)
            ?? throw new InvalidOperationException($"API server {server.Name} does not serve {apiVersion} {kind}.");
        return server.Store.Create(type, Json.Str(obj, "metadata", "namespace"), obj, keepStatus: true);
    }

    private void SeedWorkload(SimulatedCluster cluster)
    {
        var server = cluster.ApiServer;
        var version = cluster.Version;
        var port = server.Port;
        Create(server, WorkloadObjects.KubeadmConfigMap(cluster.Name, version, port));
        Create(server, WorkloadObjects.KubeletConfigMap(version));
        Create(server, WorkloadObjects.KubeletConfigRole(version));
        Create(server, WorkloadObjects.KubeletConfigRoleBinding(version));
        foreach (var machine in cluster.InitialMachines)
        {
            var node = Create(server, WorkloadObjects.Node(machine, version, ready: true));
            foreach (var component in WorkloadObjects.StaticPodComponents)
                Create(server, WorkloadObjects.StaticPod(component, machine, version, cluster.Etcd.ClientUrlOf(machine), port, ready: true, node));
        }
        Create(server, WorkloadObjects.KubeProxy(version, cluster.InitialMachines.Count));
        Create(server, WorkloadObjects.CoreDns(version));
    }

    private void SeedManagement(SimulatedCluster cluster)
    {
        var m = Management;
        var ns = cluster.Namespace;
        var name = cluster.Name;
        var port = cluster.ApiServer.Port;
        var nodeType = cluster.ApiServer.Registry.Find("", "v1", "nodes")!;
        var clusterObject = Create(m, ManagementObjects.Cluster(ns, name, port));
        Create(m, ManagementObjects.DockerCluster(ns, name, port, clusterObject));
        JsonObject? initConfig = null;
        for (var i = 0; i < cluster.InitialMachines.Count; i++)
        {
            var machineName = cluster.InitialMachines[i];
            var nodeUid = Json.Str(cluster.ApiServer.Store.TryGet(nodeType, null, machineName), "metadata", "uid")!;
            var machine = Create(m, ManagementObjects.Machine(ns, name, machineName, cluster.Version, clusterObject, nodeUid));
            var config = Create(m, ManagementObjects.KubeadmConfig(ns, name, machineName, init: i == 0, machine, port));
            initConfig ??= config;
            Create(m, ManagementObjects.DockerMachine(ns, name, machineName, cluster.Version, machine));
            Create(m, ManagementObjects.BootstrapDataSecret(ns, name, machineName, config));
        }
        foreach (var (suffix, data) in cluster.Certificates.SecretData())
            Create(m, ManagementObjects.Secret(ns, name, $"{name}-{suffix}", data, initConfig!, controller: true));
        Create(m, ManagementObjects.Secret(ns, name, $"{name}-kubeconfig", new Dictionary<string, string> { ["value"] = cluster.Kubeconfig }, clusterObject, controller: true));
    }

    private async Task StartControllersAsync(CancellationToken ct)
    {
        _managementClient = KubeHttpClient.FromKubeconfig(ManagementKubeconfig);
        _machineWatch = new SharedWatch(_managementClient, ApiPaths.Machines());
        _secretWatch = new SharedWatch(_managementClient, ApiPaths.Secrets());
        Controller = new MachineController(_managementClient, _machineWatch, key => _byKey.TryGetValue(key, out var c) ? c.Etcd : null, Faults,
            new MachineControllerOptions { ProvisionDelay = Options.ProvisionDelay, Jitter = Options.Jitter, RandomSeed = Options.RandomSeed });
        Observer = new InvariantObserver(_machineWatch, _secretWatch, () => _clusters.Select(c => (c.Key, c.Etcd)).ToList(),
            Options.MaxControlPlaneMachines > 0 ? Options.MaxControlPlaneMachines : Options.ControlPlaneReplicas + 1)
        {
            PollInterval = Options.ObserverPollInterval,
        };
        _machineWatch.Start();
        _secretWatch.Start();
        await Task.WhenAll(_machineWatch.Synced, _secretWatch.Synced).WaitAsync(TimeSpan.FromMinutes(2) + TimeSpan.FromMilliseconds(100) * _clusters.Count, ct);
        Observer.Start();
        if (Options.AdminPort >= 0)
        {
            _admin = await FleetAdminEndpoint.StartAsync(this, Options.AdminPort, ct);
            var cmType = Management.Registry.Find("", "v1", "configmaps")!;
            Management.Store.Create(cmType, AdminConfigMapNamespace, new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "ConfigMap",
                ["metadata"] = Json.Metadata(AdminConfigMapName, AdminConfigMapNamespace),
                ["data"] = new JsonObject { ["url"] = _admin.Url, ["token"] = _admin.Token },
            });
        }
    }

    /// <summary>Writes the management kubeconfig to <paramref name="path"/>.</summary>
    public async Task WriteKubeconfigAsync(string path, CancellationToken cancellationToken = default)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(path, ManagementKubeconfig, cancellationToken);
    }

    /// <summary>Every object of the management and workload API servers as YAML documents.</summary>
    public string Dump() => FleetDump.ToYaml(this);

    // ------------------------------------------------------------------ faults

    async Task IFaultTargets.ApplyAsync(FaultSpec fault, bool active, CancellationToken ct)
    {
        if (fault.Kind is FaultKind.ApiErrors or FaultKind.ApiLatency)
        {
            var server = fault.Cluster == FaultSpec.Management ? Management : Cluster(fault.Cluster).ApiServer;
            server.Faults.Clear();
            var rules = Faults.Active.Where(f => f.Kind is FaultKind.ApiErrors or FaultKind.ApiLatency && f.Cluster == fault.Cluster && f != fault).ToList();
            if (active) rules.Add(fault);
            foreach (var f in rules)
                server.Faults.Add(new FaultRule
                {
                    Verb = f.Verb,
                    Resource = f.Resource,
                    Rate = f.Rate,
                    ErrorCode = f.Kind == FaultKind.ApiErrors ? f.Code : null,
                    Latency = f.Kind == FaultKind.ApiLatency ? TimeSpan.FromMilliseconds(f.LatencyMilliseconds) : TimeSpan.Zero,
                });
            return;
        }
        var cluster = Cluster(fault.Cluster);
        string Member() => fault.Member ?? fault.Machine
            ?? throw new ArgumentException($"fault {fault.Kind} on {fault.Cluster}: name the etcd member (--member) or the Machine (--machine); members: {string.Join(", ", cluster.Etcd.Processes.Select(p => p.Name))}.");
        switch (fault.Kind)
        {
            case FaultKind.EtcdMemberStopped:
                if (active) await cluster.Etcd.StopMemberAsync(Member(), ct);
                else await cluster.Etcd.RestartMemberAsync(Member(), ct);
                break;
            case FaultKind.EtcdMemberUnhealthy:
                await cluster.Etcd.SetMemberUnhealthyAsync(Member(), active, ct);
                break;
            case FaultKind.EtcdMemberSlow:
                await cluster.Etcd.SetMemberLatencyAsync(Member(), active ? TimeSpan.FromMilliseconds(fault.LatencyMilliseconds) : TimeSpan.Zero, ct);
                break;
            case FaultKind.EtcdAlarmNospace:
                await cluster.Etcd.SetAlarmAsync(Member(), AlarmType.Nospace, active, ct);
                break;
        }
    }

    private Task? _disposing;

    /// <summary>Stops controllers, etcd (real processes exit before this returns), API servers. Idempotent.</summary>
    public ValueTask DisposeAsync()
    {
        lock (_clusters) _disposing ??= DisposeOnceAsync();
        return new ValueTask(_disposing);
    }

    private async Task DisposeOnceAsync()
    {
        if (_admin is not null) await _admin.DisposeAsync();
        if (Observer is not null) await Observer.DisposeAsync();
        if (Controller is not null) await Controller.DisposeAsync();
        if (_machineWatch is not null) await _machineWatch.DisposeAsync();
        if (_secretWatch is not null) await _secretWatch.DisposeAsync();
        _managementClient?.Dispose();
        await Task.WhenAll(_clusters.Select(c => c.Etcd.DisposeAsync().AsTask()));
        if (_etcdServer is not null) await _etcdServer.DisposeAsync();
        foreach (var host in _hosts) await host.DisposeAsync();
        if (_ownsManagement) await Management.DisposeAsync();
        else
        {
            var cmType = Management.Registry.Find("", "v1", "configmaps")!;
            try { Management.Store.Delete(cmType, AdminConfigMapNamespace, AdminConfigMapName); } catch (ApiServer.Storage.ApiException) { }
        }
    }
}
