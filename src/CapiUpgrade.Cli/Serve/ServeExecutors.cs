using CapiUpgrade.Actors.Execution;
using CapiUpgrade.Service.Hosting;
using CapiUpgrade.Service.Upgrades;

namespace CapiUpgrade.Cli.Serve;

/// <summary>The engine's step executors for the management clusters given with --kubeconfig.</summary>
public static class ServeExecutors
{
    public static IStepExecutorFactory Create(ServiceOptions options)
    {
        if (options.ManagementClusters.Count == 0) return new NoManagementClusterExecutors();
        // TODO(engine): the Kubernetes-backed executor factory over ManagementClusterRegistry.
        return new NoManagementClusterExecutors();
    }
}
