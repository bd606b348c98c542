using CapiUpgrade.Actors.Execution;
using CapiUpgrade.Kubernetes.Management;
using CapiUpgrade.Service.Upgrades;

namespace CapiUpgrade.Service.Hosting;

/// <summary>The engine's access to the management clusters given with --kubeconfig, and its step executors.</summary>
public sealed class EngineWiring : IAsyncDisposable
{
    public ManagementClusterRegistry Registry { get; } = new();

    public IStepExecutorFactory Executors { get; }

    public EngineWiring(ServiceOptions options, IStepExecutorFactory? executorsOverride = null)
    {
        foreach (var m in options.ManagementClusters)
            Registry.Add(ManagementClusterAccess.FromKubeconfigFile(m.KubeconfigFile, m.Name));
        Executors = executorsOverride ?? (options.ManagementClusters.Count == 0
            ? new NoManagementClusterExecutors()
            : new KubernetesStepExecutorFactory(Registry));
    }

    public ValueTask DisposeAsync() => Registry.DisposeAsync();
}
