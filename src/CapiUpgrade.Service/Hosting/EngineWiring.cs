using CapiUpgrade.Actors.Execution;
using CapiUpgrade.Kubernetes.Etcd;
using CapiUpgrade.Kubernetes.Management;
using CapiUpgrade.Service.Upgrades;

namespace CapiUpgrade.Service.Hosting;

/// <summary>The engine's access to the management clusters given with --kubeconfig, and its step executors.</summary>
public sealed class EngineWiring : IAsyncDisposable
{
    public ManagementClusterRegistry Registry { get; } = new();

    public IStepExecutorFactory Executors { get; }

    /// <summary>HOCON: how the engine reaches workload etcd members (direct | port-forward).</summary>
    public const string EtcdAccessKey = "capi-upgrade.engine.etcd-access";

    /// <summary>How the engine reaches workload etcd members, from <see cref="EtcdAccessKey"/>.</summary>
    public EtcdAccess EtcdAccess { get; }

    public EngineWiring(ServiceOptions options, IStepExecutorFactory? executorsOverride = null)
    {
        EtcdAccess = EtcdAccessNames.Parse(options.Hocon.GetString(EtcdAccessKey, EtcdAccessNames.Direct), EtcdAccessKey);
        var access = KubernetesAccessOptions.Default with { EtcdAccess = EtcdAccess };
        foreach (var m in options.ManagementClusters)
            Registry.Add(ManagementClusterAccess.FromKubeconfigFile(m.KubeconfigFile, m.Name, options: access));
        Executors = executorsOverride ?? (options.ManagementClusters.Count == 0
            ? new NoManagementClusterExecutors()
            : new KubernetesStepExecutorFactory(Registry));
    }

    /// <summary>
    /// The etcd of cluster <paramref name="ns"/>/<paramref name="name"/> on management cluster <paramref name="management"/>,
    /// as the engine reaches it (shared connection); null when the service serves no management cluster of that name.
    /// </summary>
    public async Task<IEtcdCluster?> EtcdOfAsync(string management, string ns, string name, CancellationToken cancellationToken) =>
        Registry.Names.Contains(management)
            ? await Registry.Get(management).Etcd.ConnectAsync(new ClusterKey(ns, name), cancellationToken)
            : null;

    public ValueTask DisposeAsync() => Registry.DisposeAsync();
}
