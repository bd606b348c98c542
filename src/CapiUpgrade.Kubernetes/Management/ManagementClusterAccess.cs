using CapiUpgrade.Kubernetes.Etcd;
using CapiUpgrade.Kubernetes.Retries;
using CapiUpgrade.Kubernetes.Watching;
using CapiUpgrade.Kubernetes.Workload;

namespace CapiUpgrade.Kubernetes.Management;

/// <summary>Tunables of all adapters of one management cluster.</summary>
public sealed record KubernetesAccessOptions
{
    /// <summary>Retries of Kubernetes API calls (management and workload).</summary>
    public RetryOptions Api { get; init; } = RetryOptions.KubernetesDefault;
    /// <summary>Retries of etcd calls.</summary>
    public RetryOptions Etcd { get; init; } = RetryOptions.EtcdDefault;
    /// <summary>Shared watch tunables.</summary>
    public WatchOptions Watch { get; init; } = WatchOptions.Default;
    /// <summary>Timeout of one HTTP request (not of watches).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>
    /// How long a workload cluster's etcd connection and API client may go unused before they are closed and
    /// forgotten (a long-running service upgrades hundreds of clusters once each; the next use opens them again).
    /// </summary>
    public TimeSpan IdleClusterExpiry { get; init; } = TimeSpan.FromMinutes(10);
    /// <summary>How the engine reaches workload etcd members (see <see cref="Management.EtcdAccess"/>).</summary>
    public EtcdAccess EtcdAccess { get; init; } = EtcdAccess.Direct;

    /// <summary>How often idle workload clusters are looked for: a quarter of the expiry, between 50 ms and a minute.</summary>
    internal TimeSpan IdleClusterSweep => TimeSpan.FromTicks(Math.Clamp(IdleClusterExpiry.Ticks / 4, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromMinutes(1).Ticks));
    /// <summary>Defaults.</summary>
    public static KubernetesAccessOptions Default { get; } = new();
}

/// <summary>How the engine reaches a workload cluster's etcd members.</summary>
public enum EtcdAccess
{
    /// <summary>Dial each member at the client URL its etcd static pod advertises (the management cluster must reach the nodes' etcd port).</summary>
    Direct,

    /// <summary>
    /// Through the workload cluster's API server: a port-forward to the member's etcd static pod, as Cluster API's
    /// KubeadmControlPlane does, for management clusters that reach the API server but not the nodes.
    /// </summary>
    PortForward,
}

/// <summary><see cref="EtcdAccess"/> as configuration and flags write it: <c>direct</c>, <c>port-forward</c>.</summary>
public static class EtcdAccessNames
{
    public const string Direct = "direct";
    public const string PortForward = "port-forward";

    /// <summary>The access <paramref name="value"/> names; an unknown name is refused naming <paramref name="source"/> (the key or flag) and the choices.</summary>
    public static EtcdAccess Parse(string value, string source) => value.Trim().ToLowerInvariant() switch
    {
        Direct => EtcdAccess.Direct,
        PortForward => EtcdAccess.PortForward,
        _ => throw new ArgumentException(
            $"{source} is '{value}': use {Direct} (dial each etcd member at the client URL its static pod advertises) or {PortForward} (through the workload cluster's API server, as Cluster API's KubeadmControlPlane does, when the management cluster cannot reach the nodes' etcd port)"),
    };
}

/// <summary>
/// Everything the engine needs for one management cluster: the API (<see cref="Api"/>), its shared watches
/// (<see cref="Watches"/>), its workload clusters (<see cref="Workloads"/>) and their etcd (<see cref="Etcd"/>).
/// Create once per management cluster and share; dispose at shutdown.
/// </summary>
public sealed partial class ManagementClusterAccess : IAsyncDisposable
{
    /// <summary>Request/response API access.</summary>
    public IManagementCluster Api { get; }
    /// <summary>One shared watch per kind, fanned out by cluster.</summary>
    public ISharedWatches Watches { get; }
    /// <summary>Workload clusters from their kubeconfig secrets.</summary>
    public IWorkloadClusters Workloads { get; }
    /// <summary>etcd of workload clusters.</summary>
    public IEtcdClusters Etcd { get; }
    /// <summary>The options in force.</summary>
    public KubernetesAccessOptions Options { get; }

    private readonly IDisposable[] _clients;

    private ManagementClusterAccess(IManagementCluster api, ISharedWatches watches, IWorkloadClusters workloads, IEtcdClusters etcd, KubernetesAccessOptions options, params IDisposable[] clients)
    {
        _clients = clients;
        Api = api;
        Watches = watches;
        Workloads = workloads;
        Etcd = etcd;
        Options = options;
    }

    /// <summary>The management cluster's name.</summary>
    public string Name => Api.Name;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Watches.DisposeAsync();
        await Workloads.DisposeAsync();
        if (Etcd is IAsyncDisposable etcd)
            await etcd.DisposeAsync();
        foreach (var client in _clients)
            client.Dispose();
    }
}
